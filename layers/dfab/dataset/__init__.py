"""Dataset files: the streaming JSONL parser, its summary, and the Parquet form."""
