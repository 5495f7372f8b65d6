"""Reading conversations for scoring: views, shared analysis, sketches, the one pass."""
