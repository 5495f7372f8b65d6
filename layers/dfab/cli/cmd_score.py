"""`dfab score DATASET.jsonl`: score a dataset file directly, no harness run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from dfab.cli.errors import EXIT_NEGATIVE, EXIT_OK, UsageError
from dfab.cli.render import is_positive, render_report
from dfab.scoring.aggregate import check_scoring_config
from dfab.settings import load_settings


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "score",
        parents=[parent],
        help="score a dataset file (JSONL) without running a harness",
        description="Parses and scores DATASET exactly as the pipeline does after generation "
        "(the sandbox verification does not run: verifiability counts statically meaningful "
        "blocks).",
    )
    p.add_argument("dataset", type=Path, help="dataset file, one conversation per line")
    p.add_argument(
        "--count",
        type=int,
        help="conversations the dataset was asked for (default: generation.num_conversations)",
    )
    p.add_argument("--report", type=Path, help="also write the JSON report to this file")
    p.add_argument("--html", type=Path, help="also write a self-contained HTML report")
    p.add_argument(
        "--conversations",
        type=Path,
        metavar="FILE",
        help="also write per-conversation scores (Parquet) to FILE",
    )
    p.add_argument(
        "--probe",
        type=Path,
        metavar="JSONL",
        help="a second generation with another seed (checks that the dataset depends on it)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from dfab.scoring.html import render_html
    from dfab.scoring.standalone import score_jsonl

    settings = load_settings(args.config)
    check_scoring_config(settings)
    path: Path = args.dataset
    if not path.is_file():
        raise UsageError(f"{path} is not a file; give a JSONL dataset")
    if args.probe is not None and not args.probe.is_file():
        raise UsageError(f"{args.probe} is not a file; give the probe generation's JSONL")
    if args.count is not None and args.count < 1:
        raise UsageError("--count must be at least 1")
    report = score_jsonl(
        path, settings, args.count, probe=args.probe, conversation_scores=args.conversations
    )
    text = json.dumps(report.dump(), indent=2) + "\n"
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    if args.html:
        args.html.write_text(render_html(report), encoding="utf-8")
    if args.json:
        sys.stdout.write(text)
    else:
        render_report(report, Console(), str(args.report) if args.report else None)
        if args.html:
            Console().print(f"HTML report written to {args.html}")
    return EXIT_OK if is_positive(report) else EXIT_NEGATIVE
