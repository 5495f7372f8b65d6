"""Runs a generated suite with pytest in a subprocess and keeps a stable transcript."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

_DURATION = re.compile(r" in [0-9.]+s")


class Runner:
    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.runs = 0

    def run(self, files: dict[str, str]) -> tuple[int, str]:
        self.runs += 1
        with tempfile.TemporaryDirectory(dir=self.scratch) as tmp:
            for name, text in files.items():
                (Path(tmp) / name).write_text(text, encoding="utf-8")
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=60,
            )
        output = _DURATION.sub(" in 0.01s", proc.stdout.replace(tmp, "."))
        return proc.returncode, output.strip()
