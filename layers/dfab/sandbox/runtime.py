"""The harness interpreter: which Python runs miner code, and which directories it needs.

Harnesses never run with the evaluator's own interpreter (that one has boto3, requests
and the AWS credentials chain installed); they run with a separate environment holding
only the allowlist (`.venv-sandbox` locally, the image's system Python on Fargate).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dfab
from dfab.sandbox.errors import SandboxUnavailable

RUNTIME_ENV = "DFAB_SANDBOX_PYTHON"
SETUP_HINT = "run scripts/setup.sh (it creates .venv-sandbox from sandbox_image/requirements.txt)"


@dataclass(frozen=True)
class Runtime:
    """An interpreter and the directories that must be visible for it to start."""

    python: str
    prefix: str
    base_prefix: str

    @property
    def bin_dir(self) -> str:
        return str(Path(self.python).parent)

    def command(self, argv: Sequence[str]) -> list[str]:
        """`argv` with a leading `python`/`python3` pinned to this interpreter."""
        out = list(argv)
        if out and out[0] in ("python", "python3"):
            out[0] = self.python
        return out

    def roots(self) -> list[str]:
        """Directories to expose read-only (a venv needs its base installation too)."""
        out: list[str] = []
        for p in (self.base_prefix, self.prefix):
            if p and p not in out:
                out.append(p)
        return out


def checkout_root() -> Path:
    """The source checkout `dfab` is imported from (layers/dfab/__init__.py -> root)."""
    return Path(dfab.__file__).resolve().parents[2]


def default_python() -> Path:
    return checkout_root() / ".venv-sandbox" / "bin" / "python"


@functools.lru_cache(maxsize=8)
def _probe(python: str) -> Runtime:
    code = "import json,sys;print(json.dumps([sys.prefix,sys.base_prefix]))"
    try:
        out = subprocess.run(
            [python, "-I", "-c", code],
            env={"PATH": "/usr/bin:/bin"},
            capture_output=True,
            timeout=30,
            check=True,
        )
        prefix, base = json.loads(out.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise SandboxUnavailable(
            f"the harness interpreter {python} does not start ({exc}); {SETUP_HINT}"
        ) from exc
    return Runtime(python=python, prefix=str(prefix), base_prefix=str(base))


def resolve_runtime(configured: str | None) -> Runtime:
    """The configured interpreter, else `$DFAB_SANDBOX_PYTHON`, else the checkout's venv."""
    chosen = configured or os.environ.get(RUNTIME_ENV) or str(default_python())
    path = Path(chosen)
    if not path.is_absolute():
        raise SandboxUnavailable(f"sandbox.runtime_python must be an absolute path: {chosen}")
    if not os.access(path, os.X_OK):
        raise SandboxUnavailable(f"the harness interpreter {path} is missing; {SETUP_HINT}")
    return _probe(str(path))
