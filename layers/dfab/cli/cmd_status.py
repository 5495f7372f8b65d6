"""`dfab status ID --api URL`: a submission's status timeline (and report once final).

Also home of the follow loop and rendering `dfab submit` uses after uploading.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from dfab.cli.errors import EXIT_NEGATIVE, EXIT_OK, EXIT_USAGE, UsageError
from dfab.cli.render import is_positive, render_report
from dfab.contracts.report import ScoreReport
from dfab.intake.client import ApiClient, ApiRefused, ApiUnreachable

API_ENV = "DFAB_API_URL"

_LABELS = {
    "PENDING_UPLOAD": "waiting for the upload",
    "VALIDATING": "checking the archive",
    "QUEUED": "accepted, waiting for a sandbox",
    "GENERATING": "running the harness in the sandbox",
    "SCORING": "scoring the dataset",
    "COMPLETED": "completed",
    "REJECTED": "rejected",
    "FAILED": "failed",
}


def add_api_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--api",
        metavar="URL",
        default=os.environ.get(API_ENV),
        help=f"base URL of the validator's API (default: ${API_ENV})",
    )


def api_client(args: argparse.Namespace) -> ApiClient:
    if not args.api:
        raise UsageError(f"no API URL: give --api URL or set {API_ENV}")
    if not str(args.api).startswith(("http://", "https://")):
        raise UsageError(f"--api {args.api!r} is not an http(s) URL")
    return ApiClient.connect(args.api)


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "status",
        parents=[parent],
        help="show a submission's status timeline and, once final, its report",
        description="Reads GET /submissions/{id}. Exit 0: completed with passing gates, or "
        "still running; 1: rejected, failed or gated; 2: usage or connection error.",
    )
    p.add_argument("submission_id", help="the id `dfab submit` printed")
    add_api_argument(p)
    p.add_argument("--follow", action="store_true", help="keep polling until the status is final")
    p.add_argument("--poll", type=float, default=2.0, help="seconds between polls (--follow)")
    p.add_argument(
        "--timeout", type=float, default=3600.0, help="give up following after this many seconds"
    )
    p.set_defaults(handler=run)


def verdict_exit_code(doc: dict[str, Any]) -> int:
    """0 for a completed evaluation with passing gates (or one still running), else 1."""
    if not doc.get("final"):
        return EXIT_OK
    report = doc.get("report")
    if report:
        return EXIT_OK if is_positive(ScoreReport.model_validate(report)) else EXIT_NEGATIVE
    return EXIT_OK if doc.get("status") == "COMPLETED" else EXIT_NEGATIVE


def render_timeline(doc: dict[str, Any], console: Console) -> None:
    table = Table(title=f"submission {doc['submission_id']}", title_justify="left")
    for col in ("status", "at", "reason"):
        table.add_column(col)
    for event in doc.get("timeline", []):
        reason = event.get("reason")
        text = f"{reason['class']}: {reason['message']}" if reason else ""
        table.add_row(event["status"], event["at"], text)
    console.print(table)
    harness = doc.get("harness")
    if harness:
        console.print(f"harness {harness['name']} {harness['version']}   hotkey {doc['hotkey']}")


def render_final(doc: dict[str, Any], console: Console) -> None:
    render_timeline(doc, console)
    if doc.get("report"):
        render_report(ScoreReport.model_validate(doc["report"]), console)
    elif not doc.get("final"):
        console.print(f"still [bold]{doc['status']}[/]: {_LABELS.get(doc['status'], '')}")


def follow(
    client: ApiClient,
    submission_id: str,
    *,
    show_progress: bool,
    poll_s: float,
    timeout_s: float,
) -> dict[str, Any]:
    """Poll until the status is final (or `timeout_s` passes); returns the last document."""
    err = Console(stderr=True)
    live = show_progress and err.is_terminal
    spinner = err.status("following the submission", spinner="dots") if live else None
    seen = 0
    deadline = time.monotonic() + timeout_s
    if spinner is not None:
        spinner.start()
    try:
        while True:
            doc = client.submission(submission_id)
            timeline = doc.get("timeline", [])
            for event in timeline[seen:]:
                if show_progress:
                    reason = event.get("reason")
                    extra = f" ({reason['class']})" if reason else ""
                    err.print(
                        f"{event['at']}  [bold]{event['status']}[/]{extra}  "
                        f"{_LABELS.get(event['status'], '')}",
                        highlight=False,
                    )
            seen = len(timeline)
            if spinner is not None:
                spinner.update(f"[bold]{doc['status']}[/] · {_LABELS.get(doc['status'], '')}")
            if doc.get("final") or time.monotonic() >= deadline:
                return doc
            time.sleep(poll_s)
    finally:
        if spinner is not None:
            spinner.stop()


def run(args: argparse.Namespace) -> int:
    client = api_client(args)
    try:
        if args.follow:
            doc = follow(
                client,
                args.submission_id,
                show_progress=not args.json,
                poll_s=max(0.2, args.poll),
                timeout_s=args.timeout,
            )
        else:
            doc = client.submission(args.submission_id)
    except ApiRefused as exc:
        raise UsageError(f"the API answered {exc.status} {exc.code}: {exc.message}") from exc
    except ApiUnreachable as exc:
        raise UsageError(str(exc)) from exc
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        render_final(doc, Console())
    if args.follow and not doc.get("final"):
        print(
            f"dfab: gave up after {args.timeout:g} s; the submission is still {doc['status']}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return verdict_exit_code(doc)
