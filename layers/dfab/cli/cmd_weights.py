"""`dfab weights --api URL`: what Platform reads (CONTRACTS.md §4), from any deployment.

The bearer token never comes from a command-line value (shell history, process lists):
`--token-file FILE` (first line), else `$DFAB_WEIGHTS_TOKEN`. Against `dfab serve`, pass
the file `dfab serve --weights-token-file FILE` wrote.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dfab.cli.cmd_status import add_api_argument
from dfab.cli.errors import EXIT_OK, UsageError
from dfab.intake.client import ApiRefused, ApiUnreachable

TOKEN_ENV = "DFAB_WEIGHTS_TOKEN"  # noqa: S105 (a variable name, not a secret)


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "weights",
        parents=[parent],
        help="read GET /weights (every miner's best completed score) with Platform's token",
        description="Prints the weights document Platform reads. --json prints it exactly as "
        "served. Exit 0: read; 2: usage error, refused token or unreachable API.",
    )
    add_api_argument(p)
    p.add_argument(
        "--token-file",
        type=Path,
        help=f"file whose first line is the bearer token (default: ${TOKEN_ENV})",
    )
    p.set_defaults(handler=run)


def read_token(path: Path | None) -> str:
    """The bearer token from `path` (first non-empty line) or the environment."""
    if path is not None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read --token-file {path}: {exc.strerror or exc}") from exc
        token = next((line.strip() for line in lines if line.strip()), "")
        if not token:
            raise UsageError(f"--token-file {path} holds no token")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise UsageError(f"no token: give --token-file FILE or set {TOKEN_ENV}")
    return token


def run(args: argparse.Namespace) -> int:
    from dfab.api.client import ResultsClient

    if not args.api:
        raise UsageError("no API URL: give --api URL or set DFAB_API_URL")
    if not str(args.api).startswith(("http://", "https://")):
        raise UsageError(f"--api {args.api!r} is not an http(s) URL")
    token = read_token(args.token_file)
    try:
        doc = ResultsClient.connect(args.api).weights(token)
    except ApiRefused as exc:
        hint = (
            " (is the token's SHA-256 in the token-hash list?)" if exc.status in (401, 403) else ""
        )
        raise UsageError(f"the API answered {exc.status} {exc.code}: {exc.message}{hint}") from exc
    except ApiUnreachable as exc:
        raise UsageError(str(exc)) from exc
    except ValueError as exc:  # pydantic: the document breaks CONTRACTS.md §4
        raise UsageError(f"the API's weights document is not valid: {exc}") from exc
    if args.json:
        sys.stdout.write(doc.model_dump_json(indent=2) + "\n")
        return EXIT_OK
    table = Table(
        title=f"weights · {doc.challenge} · scorer {doc.scorer_version} · {doc.generated_at}",
        title_justify="left",
    )
    for col in ("#", "hotkey", "score", "submission", "completed at"):
        table.add_column(col)
    for i, w in enumerate(doc.weights, start=1):
        table.add_row(str(i), w.hotkey, f"{w.score:.4f}", w.submission_id, w.completed_at)
    console = Console()
    console.print(table)
    console.print(f"{len(doc.weights)} miners with a completed evaluation")
    return EXIT_OK
