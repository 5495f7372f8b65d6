"""Scoring signals, one module per family; `dfab.scoring.registry` lists them all."""
