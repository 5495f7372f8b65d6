"""Runs every pending pytest suite for real and checks the narrative against the result.

Cases are spread over a few worker processes (one per core, at most four); each worker
runs its share in-process (see `_pytest_worker`). Output is made reproducible: the scratch
path is removed and pytest's wall-clock timing is replaced by a value derived from the run
key, so the same seed still gives a byte-identical dataset.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from fabricator.convo import PendingRun

WORKER = Path(__file__).with_name("_pytest_worker.py")
_TIMING = re.compile(r" in \d+\.\d+s( \(\d+:\d\d:\d\d\))?$", re.MULTILINE)
_SUMMARY = re.compile(r"^(?:=+ )?((?:\d+ [a-z]+(?:, )?)+|no tests ran) in ", re.MULTILINE)
_ADDRESS = re.compile(r"(?<= at )0x[0-9a-f]+\b")
_FAILED = re.compile(r"^(?:FAILED|ERROR) ([^\s]+?)(?:::([^\s\[]+))?(?:\[.*?\])?(?: - .*)?$", re.M)


class ExecutionError(Exception):
    """The batch runner itself failed (not a test): generation cannot continue."""


@dataclass(frozen=True)
class RunResult:
    """What a real run produced, already made reproducible."""

    exit_code: int
    output: str

    @property
    def summary(self) -> str:
        found = _SUMMARY.findall(self.output)
        return found[-1].strip() if found else f"exit code {self.exit_code}"

    def failed_tests(self) -> set[str]:
        return {m.group(2) or m.group(1) for m in _FAILED.finditer(self.output)}


def _clean(output: str, base: Path, key: str) -> str:
    """Drop what differs between two runs of the same case: paths, timings, addresses."""
    text = output.replace(str(base) + os.sep + key + os.sep, "").replace(str(base), ".")
    rnd = random.Random(f"timing:{key}")
    text = _TIMING.sub(lambda _m: f" in {0.01 + rnd.random() * 0.11:.2f}s", text)
    seen: dict[str, str] = {}

    def _addr(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"0x7f3a{0x1C0 + 0x70 * len(seen):08x}")

    text = _ADDRESS.sub(_addr, text)
    return text.strip("\n")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONIOENCODING="utf-8",
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        COLUMNS="80",
        LINES="24",
        NO_COLOR="1",
    )
    return env


def run_all(runs: list[PendingRun], work_dir: Path, label: str) -> dict[str, RunResult]:
    """Execute `runs` in parallel worker processes; returns results by run key."""
    if not runs:
        return {}
    workers = max(1, min(4, os.cpu_count() or 1, len(runs)))
    batch_dir = work_dir / f"pytest-{label}"
    batch_dir.mkdir(parents=True, exist_ok=True)
    procs: list[tuple[subprocess.Popen[bytes], Path, Path]] = []
    for w in range(workers):
        share = runs[w::workers]
        jobs = batch_dir / f"jobs-{w}.json"
        out = batch_dir / f"results-{w}.json"
        base = batch_dir / f"w{w}"
        payload = {"base": str(base), "cases": [{"key": r.key, "files": r.files} for r in share]}
        jobs.write_text(json.dumps(payload), encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), str(jobs), str(out)],
            cwd=str(batch_dir),
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        procs.append((proc, out, base))
    results: dict[str, RunResult] = {}
    timeout = 60 + 2 * len(runs)
    for proc, out, base in procs:
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise ExecutionError(f"pytest worker timed out after {timeout}s") from None
        if proc.returncode != 0 or not out.exists():
            tail = err.decode("utf-8", "replace")[-800:]
            raise ExecutionError(f"pytest worker failed (exit {proc.returncode}): {tail}")
        for key, res in json.loads(out.read_text(encoding="utf-8")).items():
            results[key] = RunResult(int(res["exit"]), _clean(str(res["output"]), base, key))
    shutil.rmtree(batch_dir, ignore_errors=True)
    return results


def mismatch(run: PendingRun, result: RunResult) -> str | None:
    """Why the real result contradicts what the conversation claims, or None."""
    if run.expect_pass and result.exit_code != 0:
        return f"run {run.key} was expected to pass but exited {result.exit_code}"
    if not run.expect_pass and result.exit_code == 0:
        return f"run {run.key} was expected to fail but passed"
    missing = set(run.must_fail) - result.failed_tests()
    if missing:
        return f"run {run.key}: expected failures {sorted(missing)} did not fail"
    return None
