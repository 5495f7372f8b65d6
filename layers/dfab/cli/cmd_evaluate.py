"""`dfab evaluate PATH`: the whole deployed flow on this machine, ending in a report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from dfab.cli.errors import EXIT_NEGATIVE, EXIT_OK, UsageError
from dfab.cli.render import is_positive, render_report
from dfab.contracts.submission import SubmissionStatus
from dfab.settings import Settings, load_settings

_STATE_LABELS = {
    "PrepareGenerate": "preparing the sandbox task",
    "Generate": "running the harness in the sandbox",
    "Parse": "parsing the dataset",
    "PrepareVerify": "sampling verification blocks",
    "Verify": "running verification blocks in the sandbox",
    "Score": "scoring",
    "ScoreQuality": "scoring: quality",
    "ScoreAgentic": "scoring: agentic signals",
    "ScoreDiversity": "scoring: diversity",
    "ScoreOriginality": "scoring: originality",
    "Aggregate": "aggregating the final score",
    "MarkFailed": "recording the failure",
    "EvaluationFailed": "failed",
    "Done": "finished",
}


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "evaluate",
        parents=[parent],
        help="run the full evaluation of a harness on this machine",
        description="Runs the deployed state machine on this machine (moto + local sandbox): "
        "validation, generation in the sandbox, parsing, verification, scoring.",
    )
    p.add_argument("path", type=Path, help="harness directory or .zip/.tar.gz archive")
    p.add_argument("--count", type=int, help="conversations to ask for (default: config)")
    p.add_argument("--seed", type=int, help="generation seed (default: from submission id)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("dfab-out"),
        help="directory for report.json and dataset.jsonl (default: ./dfab-out/<id>/)",
    )
    p.set_defaults(handler=run)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    gen = settings.generation.model_dump()
    if args.count is not None:
        if args.count < 1:
            raise UsageError("--count must be at least 1")
        gen["num_conversations"] = args.count
    if args.seed is not None:
        if args.seed < 0:
            raise UsageError("--seed must be a non-negative integer")
        gen["seed"] = args.seed
    settings = settings.model_copy(update={"generation": type(settings.generation)(**gen)})
    from dfab.scoring.aggregate import check_scoring_config  # heavy: only when run

    check_scoring_config(settings)
    wanted, gate = settings.generation.num_conversations, settings.scoring.min_conversations
    if wanted < gate and not args.json:
        Console(stderr=True).print(
            f"[yellow]note[/]: asking for {wanted} conversations, below "
            f"scoring.min_conversations ({gate}): the score will be gated to 0"
        )
    return settings


def run(args: argparse.Namespace) -> int:
    # Heavy imports (moto, the sandbox) only when the command runs.
    from dfab.local.evaluate import InputError, dataset_bytes, evaluate_in_stack, read_harness
    from dfab.local.project import ProjectNotFound
    from dfab.local.stack import LocalStack
    from dfab.sandbox import SandboxUnavailable, get_sandbox

    settings = _settings(args)
    try:
        harness = read_harness(args.path)
    except InputError as exc:
        raise UsageError(str(exc)) from exc
    try:
        get_sandbox(settings.sandbox)
    except SandboxUnavailable as exc:
        raise UsageError(str(exc)) from exc
    err = Console(stderr=True)
    quiet = args.json or not err.is_terminal
    status_line = err.status("submitting", spinner="dots") if not args.json else None

    def on_progress(status: SubmissionStatus, states: list[str]) -> None:
        label = _STATE_LABELS.get(states[-1], states[-1]) if states else "validating the archive"
        if status_line is not None:
            status_line.update(f"[bold]{status}[/] · {label}")
        if quiet and not args.json:
            err.print(f"{status}: {label}")

    try:
        with LocalStack(settings) as stack:
            if status_line is not None and not quiet:
                status_line.start()
            try:
                report = evaluate_in_stack(stack, harness, on_progress=on_progress)
            finally:
                if status_line is not None:
                    status_line.stop()
            dataset = dataset_bytes(stack, report.submission_id)
    except ProjectNotFound as exc:
        raise UsageError(str(exc)) from exc

    out_dir = args.out / report.submission_id
    out_dir.mkdir(parents=True, exist_ok=True)
    report_path = out_dir / "report.json"
    report_path.write_text(json.dumps(report.dump(), indent=2) + "\n", encoding="utf-8")
    if dataset is not None:
        (out_dir / "dataset.jsonl").write_bytes(dataset)
    if args.json:
        sys.stdout.write(json.dumps(report.dump(), indent=2) + "\n")
    else:
        render_report(report, Console(), str(report_path))
    return EXIT_OK if is_positive(report) else EXIT_NEGATIVE
