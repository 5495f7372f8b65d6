"""Scoring: small signals, each with its evidence, listed in one registry.

- `signal`: what a signal is and what it may read (`ScoringInput`).
- `extract/`: the one pass over a dataset (views, shared per-conversation analysis,
  vectorized MinHash sketches, static checks of code, schemas and verification blocks).
- `signals/`: one module per family (format, quality, integrity, tool_use, reasoning,
  coding, verifiability, diversity, originality); `registry` lists them all.
- `aggregate`: components, scales, gates and the final score (`build_report`).
- `standalone` (`dfab score`), `rescore` (`dfab rescore`), `html` (the miner's report),
  `conversation_scores` (per-conversation Parquet).

docs/miner/scoring.md explains every signal to miners.
"""
