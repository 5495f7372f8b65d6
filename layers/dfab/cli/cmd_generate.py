"""`dfab generate PATH --out FILE`: only the generation step, in the sandbox.

What a validator's Generate task does to a harness, on the miner's machine: same
runtime contract, same limits, same result document. Handy to test a harness, and
to test the sandbox alone.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.table import Table

from dfab.cli.errors import EXIT_NEGATIVE, EXIT_OK, UsageError
from dfab.settings import load_settings

_ARCHIVE_SUFFIXES: dict[str, Literal["zip", "tar.gz"]] = {
    ".zip": "zip",
    ".tar.gz": "tar.gz",
    ".tgz": "tar.gz",
}


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "generate",
        parents=[parent],
        help="run a harness's generation step in the sandbox",
        description="Runs the harness at PATH (directory or .zip/.tar.gz) exactly as a "
        "validator's generation task does and prints the result document.",
    )
    p.add_argument("path", type=Path, help="harness directory or .zip/.tar.gz archive")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="dataset to write")
    p.add_argument("--count", type=int, help="conversations to ask for (default: config)")
    p.add_argument("--seed", type=int, help="seed (default: config, else a random one)")
    p.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run WITHOUT isolation (limits only); only for your own harness",
    )
    p.set_defaults(handler=run)


def _archive_format(path: Path) -> Literal["zip", "tar.gz"] | None:
    name = path.name.lower()
    for suffix, fmt in _ARCHIVE_SUFFIXES.items():
        if name.endswith(suffix):
            return fmt
    return None


def _check_args(args: argparse.Namespace) -> None:
    if not args.path.exists():
        raise UsageError(f"{args.path} does not exist; give a harness directory or archive")
    if args.path.is_dir():
        if not (args.path / "harness.toml").is_file():
            raise UsageError(f"{args.path} has no harness.toml at its root")
    elif _archive_format(args.path) is None:
        raise UsageError(f"{args.path} is neither a directory nor a .zip/.tar.gz archive")
    if args.out.is_dir():
        raise UsageError(f"--out {args.out} is a directory; give a file path")
    if args.count is not None and args.count < 1:
        raise UsageError("--count must be at least 1")
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise UsageError("--seed must be an integer in [0, 2**63)")


def _render(doc: dict[str, object], out: Path, console: Console) -> None:
    ok = doc["exit_reason"] == "ok"
    colour = "green" if ok else "red"
    console.print(f"generation [bold {colour}]{doc['exit_reason']}[/]  {doc.get('detail', '')}")
    table = Table(show_header=False, box=None, pad_edge=False)
    rows = [
        ("seed / count", f"{doc.get('seed')} / {doc.get('count')}"),
        ("duration", f"{doc.get('duration_s')} s (cpu {doc.get('cpu_s')} s)"),
        ("peak memory", f"{doc.get('peak_memory_mb')} MiB ({doc.get('memory_enforcement')})"),
        ("isolation", str(doc.get("isolation"))),
        ("output", f"{doc.get('output_bytes')} bytes, {doc.get('output_lines')} lines"),
    ]
    for key, value in rows:
        table.add_row(f"[dim]{key}[/]", value)
    console.print(table)
    if ok:
        console.print(f"dataset written to {out}")
        return
    reason = doc.get("reason") or {}
    if isinstance(reason, dict):
        console.print(f"[bold red]{reason.get('class')}[/]", highlight=False)
    tail = str(doc.get("stderr_tail") or "").strip()
    if tail:
        console.rule("stderr (tail)")
        console.print(tail[-3000:], markup=False, highlight=False)


def run(args: argparse.Namespace) -> int:
    from dfab.contracts.reasons import VerdictError
    from dfab.generation import run_generation
    from dfab.sandbox import SandboxUnavailable, UnsafeRunner, get_sandbox

    _check_args(args)
    settings = load_settings(args.config)
    count = args.count if args.count is not None else settings.generation.num_conversations
    seed = args.seed if args.seed is not None else settings.generation.seed
    if seed is None:
        seed = secrets.randbelow(2**31)
    try:
        sandbox = (
            UnsafeRunner(settings.sandbox)
            if args.unsafe_no_sandbox
            else get_sandbox(settings.sandbox)
        )
    except SandboxUnavailable as exc:
        raise UsageError(str(exc)) from exc
    with tempfile.TemporaryDirectory(prefix="dfab-generate-") as tmp:
        harness = args.path
        try:
            fmt = None if args.path.is_dir() else _archive_format(args.path)
            if fmt is not None:
                from dfab.archive import extract_archive

                harness = Path(tmp) / "harness"
                extract_archive(args.path, harness, settings.archive, declared_format=fmt)
            result = run_generation(
                harness, args.out, count=count, seed=seed, settings=settings, sandbox=sandbox
            )
        except VerdictError as exc:
            doc: dict[str, object] = {
                "exit_reason": "not_run",
                "reason": exc.reason.dump(),
                "seed": seed,
                "count": count,
            }
            if args.json:
                print(json.dumps(doc))
            else:
                print(f"dfab: {exc.reason.reason_class}: {exc.reason.message}", file=sys.stderr)
            return EXIT_NEGATIVE
    doc = result.dump()
    if args.json:
        print(json.dumps(doc))
    else:
        _render(doc, args.out, Console())
    return EXIT_OK if result.ok else EXIT_NEGATIVE
