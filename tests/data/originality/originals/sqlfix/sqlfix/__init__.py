"""SQL bug-fix conversation generator."""
