"""Run every benchmark module in turn (`python -m bench`); each prints its JSON."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    failed = []
    for name in names:
        print(f"# bench.{name}", flush=True)
        proc = subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=here.parent, check=False)
        if proc.returncode != 0:
            failed.append(name)
    if failed:
        print(f"# failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
