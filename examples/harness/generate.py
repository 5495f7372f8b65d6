"""Entrypoint of the example harness (CONTRACTS.md §2): `python generate.py [--output ...]`.

Kept tiny on purpose: all logic lives in the `fabricator` package next to this file, which
Python finds because the script's own directory is the first entry of `sys.path`.
"""

import sys

# The harness directory may be read-only in the sandbox, and `dfab init` copies it: never
# leave `__pycache__` behind in it.
sys.dont_write_bytecode = True

from fabricator.cli import main  # noqa: E402  (must follow the bytecode switch)

if __name__ == "__main__":
    sys.exit(main())
