"""One evaluation in flight per hotkey: find an unfinished submission of this miner.

Reads the submissions table's `by_hotkey` index (hotkey, created_at), newest first,
limited to the recent past: an unfinished record older than `max_age_s` is treated as
stuck and no longer blocks, and a PENDING_UPLOAD whose upload URL has expired is
abandoned. The index is eventually consistent (a fraction of a second); the rate
limit, which is atomic, bounds what that window could let through.
"""

from __future__ import annotations

from typing import Any

from dfab.contracts.submission import TERMINAL_STATUSES, SubmissionStatus
from dfab.intake.timefmt import iso
from dfab.storage.dynamo import from_item

INDEX = "by_hotkey"


def find_open_submission(
    dynamodb: Any,
    table: str,
    hotkey: str,
    *,
    now: float,
    max_age_s: int,
    abandoned_upload_s: int,
) -> dict[str, Any] | None:
    """The newest unfinished, not abandoned submission of `hotkey`, or None."""
    terminal = sorted(s.value for s in TERMINAL_STATUSES)
    values: dict[str, Any] = {
        ":h": {"S": hotkey},
        ":since": {"S": iso(now - max_age_s)},
        **{f":t{i}": {"S": s} for i, s in enumerate(terminal)},
    }
    kwargs: dict[str, Any] = {
        "TableName": table,
        "IndexName": INDEX,
        "KeyConditionExpression": "hotkey = :h AND created_at >= :since",
        "FilterExpression": f"NOT #st IN ({', '.join(f':t{i}' for i in range(len(terminal)))})",
        "ExpressionAttributeNames": {"#st": "status"},
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
    }
    abandoned_before = iso(now - abandoned_upload_s)
    while True:
        page = dynamodb.query(**kwargs)
        for item in page.get("Items", []):
            doc = from_item(item)
            if (
                doc.get("status") == SubmissionStatus.PENDING_UPLOAD.value
                and str(doc.get("created_at", "")) < abandoned_before
            ):
                continue
            return doc
        if "LastEvaluatedKey" not in page:
            return None
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
