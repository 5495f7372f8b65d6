"""The runtime contract (CONTRACTS.md §2): environment variables and flags to settings.

Flags win over variables when both are given (the contract says they agree anyway); every
bad value ends the run with exit code 2 and one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fabricator import HARNESS_NAME

MAX_COUNT = 100_000
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the caller: reported as one line, exit code 2."""


@dataclass(frozen=True)
class Settings:
    """Validated run settings."""

    output: Path
    count: int
    seed: int
    work_dir: Path
    temporary_work_dir: bool = False  # created by us (no work dir given): removed at the end


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="generate.py", description="Generate an agentic coding dataset (JSONL).")
    p.add_argument("--output", help="JSONL file to write (default $DF_OUTPUT_PATH)")
    p.add_argument("--count", help="number of conversations (default $DF_NUM_CONVERSATIONS)")
    p.add_argument("--seed", help="integer seed (default $DF_SEED)")
    p.add_argument("--work-dir", help="scratch directory (default $DF_WORK_DIR)")
    return p


def _pick(flag: str | None, env_name: str, what: str) -> str | None:
    env = os.environ.get(env_name)
    if flag is not None and env is not None and flag != env:
        print(
            f"{HARNESS_NAME}: note: --{what} {flag!r} differs from ${env_name} {env!r}; "
            "using the flag",
            file=sys.stderr,
        )
    value = flag if flag is not None else env
    return value if value is None or value.strip() else None


def _int(value: str | None, what: str, env_name: str, lo: int, hi: int) -> int:
    if value is None:
        raise UsageError(f"--{what} or ${env_name} is required")
    try:
        number = int(value.strip(), 10)
    except ValueError:
        raise UsageError(f"--{what} must be an integer, got {value!r}") from None
    if not lo <= number <= hi:
        raise UsageError(f"--{what} must be between {lo} and {hi}, got {number}")
    return number


def parse_settings(argv: list[str] | None = None) -> Settings:
    """Merge flags and environment, validate them, and prepare the scratch directory."""
    args = _parser().parse_args(argv)
    output = _pick(args.output, "DF_OUTPUT_PATH", "output")
    count = _pick(args.count, "DF_NUM_CONVERSATIONS", "count")
    seed = _pick(args.seed, "DF_SEED", "seed")
    work = _pick(args.work_dir, "DF_WORK_DIR", "work-dir")
    if output is None:
        raise UsageError("--output or $DF_OUTPUT_PATH is required")
    out_path = Path(output)
    if out_path.is_dir():
        raise UsageError(f"output path {output!r} is a directory")
    if not out_path.parent.is_dir():
        raise UsageError(f"the output's directory {str(out_path.parent)!r} does not exist")
    n = _int(count, "count", "DF_NUM_CONVERSATIONS", 1, MAX_COUNT)
    s = _int(seed, "seed", "DF_SEED", 0, 2**63 - 1)
    if work is None:
        work_path = Path(tempfile.mkdtemp(prefix="fabricator-"))
    else:
        work_path = Path(work)
        try:
            work_path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot use work dir {work!r}: {exc.strerror}") from None
    return Settings(
        output=out_path, count=n, seed=s, work_dir=work_path, temporary_work_dir=work is None
    )


def main(argv: list[str] | None = None) -> int:
    """Run the harness; returns the process exit code."""
    from fabricator.dataset import GenerationError, write_dataset

    try:
        settings = parse_settings(argv)
    except UsageError as exc:
        print(f"{HARNESS_NAME}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    started = time.monotonic()
    try:
        stats = write_dataset(settings.output, settings.count, settings.seed, settings.work_dir)
    except GenerationError as exc:
        print(f"{HARNESS_NAME}: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if settings.temporary_work_dir:
            shutil.rmtree(settings.work_dir, ignore_errors=True)
    print(
        f"{HARNESS_NAME}: wrote {settings.count} conversations to {settings.output} "
        f"({stats}) in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    return 0
