"""The `dfab` command line."""
