"""The sandbox image's entrypoint: run the one task named by DFAB_TASK_URL, then exit.

Thin on purpose: everything lives in `dfab.supervisor` (the same code the local flow
runs). In the image the library sits next to this file under `src/`.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SRC = Path(__file__).resolve().parent / "src"
if _SRC.is_dir():
    sys.path.insert(0, str(_SRC))

from dfab.supervisor.task import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
