"""Public formats (CONTRACTS.md v1) as pydantic v2 models: the single source of truth."""
