"""`dfab leaderboard --api URL`: the public ranking of best completed scores, page by page."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from dfab.cli.cmd_status import add_api_argument
from dfab.cli.errors import EXIT_OK, UsageError
from dfab.intake.client import ApiRefused, ApiUnreachable

#: `--all` stops after this many pages (a safety net, not a limit anyone should reach).
MAX_PAGES = 1000


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "leaderboard",
        parents=[parent],
        help="show GET /leaderboard: best completed scores, highest first",
        description="Prints one page of the ranking (or every page with --all). --json prints "
        "the page document (with --all: every entry and no cursor). Exit 0: read; 2: usage "
        "error or unreachable API.",
    )
    add_api_argument(p)
    p.add_argument("--limit", type=int, help="entries per page (the deployment caps it)")
    p.add_argument("--cursor", help="continue from a page's next_cursor")
    p.add_argument("--all", action="store_true", help="follow the cursors to the last page")
    p.set_defaults(handler=run)


def fetch(client: Any, *, limit: int | None, cursor: str | None, follow: bool) -> dict[str, Any]:
    """One page, or (follow) every page from `cursor` on merged into one document."""
    page = client.leaderboard(limit=limit, cursor=cursor)
    if not follow:
        return page
    entries = list(page["entries"])
    pages = 1
    while page.get("next_cursor") and pages < MAX_PAGES:
        page = client.leaderboard(limit=limit, cursor=page["next_cursor"])
        entries.extend(page["entries"])
        pages += 1
    return {**page, "entries": entries, "next_cursor": page.get("next_cursor")}


def run(args: argparse.Namespace) -> int:
    from dfab.api.client import ResultsClient

    if not args.api:
        raise UsageError("no API URL: give --api URL or set DFAB_API_URL")
    if not str(args.api).startswith(("http://", "https://")):
        raise UsageError(f"--api {args.api!r} is not an http(s) URL")
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    client = ResultsClient.connect(args.api)
    try:
        doc = fetch(client, limit=args.limit, cursor=args.cursor, follow=args.all)
    except ApiRefused as exc:
        raise UsageError(f"the API answered {exc.status} {exc.code}: {exc.message}") from exc
    except ApiUnreachable as exc:
        raise UsageError(str(exc)) from exc
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return EXIT_OK
    table = Table(
        title=f"leaderboard · scorer {doc['scorer_version']} · {doc['generated_at']}",
        title_justify="left",
    )
    for col in ("rank", "hotkey", "score", "submission", "completed at", "scorer"):
        table.add_column(col)
    for e in doc["entries"]:
        table.add_row(
            str(e["rank"]),
            e["hotkey"],
            f"{e['score']:.4f}",
            e["submission_id"],
            e["completed_at"],
            e["scorer_version"],
        )
    console = Console()
    console.print(table)
    if doc.get("next_cursor"):
        console.print(f"more: dfab leaderboard --api {args.api} --cursor {doc['next_cursor']}")
    return EXIT_OK
