"""sqlfix: SQL debugging conversations whose query results come from a real SQLite run."""

import sys

from sqlfix.main import run

if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
