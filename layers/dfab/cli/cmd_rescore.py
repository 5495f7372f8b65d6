"""`dfab rescore SUBMISSION_ID...`: score stored datasets again with the current scorer.

Works against any deployment that exposes the S3 and DynamoDB APIs: AWS itself (the
default credentials and region), or a moto server (`--endpoint-url http://127.0.0.1:...`).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from dfab import SCORER_VERSION
from dfab.cli.errors import EXIT_NEGATIVE, EXIT_OK, UsageError
from dfab.scoring.aggregate import check_scoring_config
from dfab.settings import load_settings
from dfab.storage.resources import Resources


@dataclass
class EndpointResources(Resources):
    """Resources whose clients talk to an explicit endpoint (a moto server, LocalStack)."""

    endpoint_url: str | None = None

    def _client(self, service: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service, region_name=self.region, endpoint_url=self.endpoint_url
        )


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "rescore",
        parents=[parent],
        help="re-score stored submissions with the current scorer version",
        description="Scores the stored datasets of SUBMISSION_IDs again (no harness run) and "
        f"writes results/<id>/report-{SCORER_VERSION}.json next to the original report.",
    )
    p.add_argument("submission_ids", nargs="+", metavar="SUBMISSION_ID")
    p.add_argument("--endpoint-url", help="S3/DynamoDB endpoint (e.g. a moto server)")
    p.add_argument("--bucket", help="results bucket (default: storage.bucket of the config)")
    p.add_argument(
        "--submissions-table", help="submissions table (default: storage.submissions_table)"
    )
    p.add_argument("--region", help="AWS region (default: storage.region of the config)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from dfab.scoring.rescore import RescoreError, rescore_submission

    settings = load_settings(args.config)
    check_scoring_config(settings)
    storage = settings.storage
    res = EndpointResources(
        region=args.region or storage.region,
        bucket=args.bucket or storage.bucket,
        submissions_table=args.submissions_table or storage.submissions_table,
        best_scores_table=storage.best_scores_table,
        endpoint_url=args.endpoint_url,
    )
    results: list[dict[str, Any]] = []
    failed = False
    for sid in args.submission_ids:
        try:
            report = rescore_submission(res, settings, sid)
        except RescoreError as exc:
            raise UsageError(str(exc)) from exc
        except (BotoCoreError, ClientError) as exc:
            raise UsageError(f"cannot read submission {sid!r} from storage: {exc}") from exc
        previous = next((n for n in report.notes if n.startswith("re-scored")), "")
        failed |= any(not g.passed for g in report.gates)
        results.append(
            {
                "submission_id": sid,
                "score": report.score,
                "scorer_version": report.scorer_version,
                "gates_passed": all(g.passed for g in report.gates),
                "previous": previous,
                "report": report.dump(),
            }
        )
    if args.json:
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
    else:
        table = Table(title=f"re-scored with scorer {SCORER_VERSION}", title_justify="left")
        for col in ("submission", "score", "gates", "before"):
            table.add_column(col)
        for r in results:
            table.add_row(
                r["submission_id"],
                f"{r['score']:.3f}",
                "pass" if r["gates_passed"] else "FAIL",
                r["previous"].removeprefix("re-scored: "),
            )
        Console().print(table)
    return EXIT_NEGATIVE if failed else EXIT_OK
