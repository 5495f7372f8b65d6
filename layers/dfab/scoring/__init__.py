"""Scoring: small signals, each with its evidence, listed in one registry."""
