"""Batch pytest runner, executed as its own process: `python _pytest_worker.py JOBS RESULTS`.

Starting pytest costs ~0.25 s, running a small suite ~0.03 s; so each worker runs many
suites in one process (`pytest.main` per case, each in a fresh directory holding only the
case's files) and forgets the case's modules afterwards so the next case imports its own.
Standard library and pytest only: this runs under the sandbox interpreter.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import sys
from pathlib import Path
from types import FrameType

CASE_TIMEOUT_S = 20
PYTEST_ARGS = ["-q", "-p", "no:cacheprovider"]


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError(f"test case took longer than {CASE_TIMEOUT_S}s")


def _forget_modules(case_dir: str) -> None:
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None) or ""
        if origin.startswith(case_dir + os.sep) or name == "conftest":
            del sys.modules[name]


def run_case(base: Path, key: str, files: dict[str, str]) -> dict[str, object]:
    """Write the case's files, run pytest on them in-process, return exit code and output."""
    import pytest

    case = base / key
    for rel, text in files.items():
        target = case / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    case_dir = str(case)
    old_cwd = os.getcwd()
    os.chdir(case_dir)
    sys.path.insert(0, case_dir)
    buf = io.StringIO()
    signal.alarm(CASE_TIMEOUT_S)
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            code = int(pytest.main(list(PYTEST_ARGS)))
    except BaseException as exc:  # a broken case must not take the batch down
        code = 99
        buf.write(f"\nINTERNAL: {type(exc).__name__}: {exc}\n")
    finally:
        signal.alarm(0)
        os.chdir(old_cwd)
        sys.path.remove(case_dir)
        _forget_modules(case_dir)
        shutil.rmtree(case, ignore_errors=True)
    return {"exit": code, "output": buf.getvalue()}


def main(argv: list[str]) -> int:
    jobs_path, results_path = Path(argv[1]), Path(argv[2])
    jobs = json.loads(jobs_path.read_text(encoding="utf-8"))
    base = Path(jobs["base"])
    base.mkdir(parents=True, exist_ok=True)
    sys.dont_write_bytecode = True
    signal.signal(signal.SIGALRM, _alarm)
    results = {case["key"]: run_case(base, case["key"], case["files"]) for case in jobs["cases"]}
    results_path.write_text(json.dumps(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
