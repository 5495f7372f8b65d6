"""`dfab review PATH`: the static review validators run on every upload, run locally.

A directory is packed as an upload would be, so the review sees exactly what validators
see. Exit codes: 0 no critical finding, 1 a critical finding (the upload would be
rejected with REVIEW_CRITICAL) or a package that fails the archive checks, 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dfab.cli.errors import EXIT_NEGATIVE, EXIT_OK, UsageError
from dfab.contracts.reasons import VerdictError
from dfab.review import ReviewReport, ReviewSettings, Severity, review_harness
from dfab.review.unpack import archive_format, harness_dir
from dfab.settings import Settings, load_settings

_COLOURS = {Severity.CRITICAL: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "review",
        parents=[parent],
        help="statically review a harness's code (what intake checks)",
        description="Reviews every .py file of PATH (a harness directory or a .zip/.tar.gz "
        "archive) with the validators' rules; exit 1 if any finding is critical.",
    )
    p.add_argument("path", type=Path, help="harness directory or archive")
    p.set_defaults(handler=run)


def review_settings(settings: Settings) -> ReviewSettings:
    """The `review:` section (defaults until the settings model carries it)."""
    section = getattr(settings, "review", None)
    return section if isinstance(section, ReviewSettings) else ReviewSettings()


def _render(report: ReviewReport, console: Console) -> None:
    counts = report.counts()
    console.print(
        f"reviewed {report.files_reviewed} files, {report.code_bytes} bytes of Python, "
        f"deepest nesting {report.max_ast_depth}: "
        f"{counts['critical']} critical, {counts['warning']} warnings, {counts['info']} info"
    )
    if report.findings:
        table = Table(show_header=True, header_style="bold")
        for column in ("severity", "where", "rule", "finding", "fix"):
            table.add_column(column)
        for f in report.findings:
            table.add_row(
                f"[{_COLOURS[f.severity]}]{f.severity.value}[/]", f.where, f.rule, f.message, f.fix
            )
        console.print(table)
    verdict = report.rejection()
    if verdict is None:
        console.print("[bold green]passed[/]: no critical finding")
    else:
        console.print(f"[bold red]{verdict.reason.reason_class}[/]: the upload would be rejected")


def run(args: argparse.Namespace) -> int:
    path: Path = args.path
    if not path.exists():
        raise UsageError(f"{path} does not exist; give a harness directory or archive")
    if not path.is_dir() and archive_format(path) is None:
        raise UsageError(f"{path} is neither a directory nor a .zip/.tar.gz archive")
    settings = load_settings(args.config)
    with tempfile.TemporaryDirectory(prefix="dfab-review-") as tmp:
        try:
            root = harness_dir(path, Path(tmp), settings.archive)
        except VerdictError as exc:
            if args.json:
                print(json.dumps({"archive_rejected": exc.reason.dump()}))
            else:
                print(f"archive rejected: {exc.reason.reason_class}: {exc.reason.message}")
            return EXIT_NEGATIVE
        report = review_harness(root, review_settings(settings))
    if args.json:
        print(json.dumps(report.dump()))
    else:
        _render(report, Console())
    return EXIT_OK if report.passed else EXIT_NEGATIVE
