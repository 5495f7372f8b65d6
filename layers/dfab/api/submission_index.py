"""Bounded reads of the submissions table's indexes for the read routes.

`by_status` (status, updated_at) answers GET /health: what changed to each status in a
time window, newest first, with a cap on how many items one request reads.
`by_hotkey` (hotkey, created_at) answers GET /miners/{hotkey}: a miner's submissions,
newest first, a page at a time. Nothing here scans the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dfab.contracts.submission import SubmissionStatus
from dfab.storage.dynamo import from_item
from dfab.storage.resources import Resources

STATUS_INDEX = "by_status"
HOTKEY_INDEX = "by_hotkey"
#: Key attributes of a `by_hotkey` item (the index's keys plus the table's): a page cursor.
HOTKEY_KEY_FIELDS = frozenset({"hotkey", "created_at", "submission_id"})
#: What a miner's listing shows of each submission.
MINER_FIELDS = (
    "submission_id",
    "hotkey",
    "status",
    "created_at",
    "updated_at",
    "score",
    "completed_at",
    "reason",
    "harness_name",
    "harness_version",
)


def _projection(fields: Sequence[str]) -> dict[str, Any]:
    names = {f"#p{i}": name for i, name in enumerate(fields)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


@dataclass(frozen=True)
class StatusWindow:
    """Items that moved to one status since a time, newest first, and whether more exist."""

    status: SubmissionStatus
    items: list[dict[str, Any]]
    truncated: bool


def changed_to_status_since(
    res: Resources,
    status: SubmissionStatus,
    since: str,
    *,
    max_items: int,
    fields: Sequence[str] = ("submission_id", "updated_at"),
) -> StatusWindow:
    """Submissions now in `status` whose last change is at or after `since` (<= max_items)."""
    projection = _projection(fields)
    kwargs: dict[str, Any] = {
        "TableName": res.submissions_table,
        "IndexName": STATUS_INDEX,
        "KeyConditionExpression": "#k_st = :st AND #k_up >= :since",
        "ExpressionAttributeValues": {":st": {"S": status.value}, ":since": {"S": since}},
        "ScanIndexForward": False,
        **projection,
    }
    kwargs["ExpressionAttributeNames"] = {
        **projection["ExpressionAttributeNames"],
        "#k_st": "status",
        "#k_up": "updated_at",
    }
    items: list[dict[str, Any]] = []
    while True:
        kwargs["Limit"] = max_items + 1 - len(items)
        page = res.dynamodb.query(**kwargs)
        items.extend(from_item(i) for i in page.get("Items", []))
        if len(items) > max_items:
            return StatusWindow(status, items[:max_items], truncated=True)
        if "LastEvaluatedKey" not in page:
            return StatusWindow(status, items, truncated=False)
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def latest_change_to(res: Resources, status: SubmissionStatus) -> str | None:
    """When a submission last moved to `status` (its `updated_at`), or None if none did."""
    out = res.dynamodb.query(
        TableName=res.submissions_table,
        IndexName=STATUS_INDEX,
        KeyConditionExpression="#st = :st",
        ExpressionAttributeNames={"#st": "status", "#up": "updated_at"},
        ExpressionAttributeValues={":st": {"S": status.value}},
        ProjectionExpression="#up",
        ScanIndexForward=False,
        Limit=1,
    )
    items = out.get("Items", [])
    return items[0]["updated_at"]["S"] if items else None


def miner_submissions(
    res: Resources, hotkey: str, *, limit: int, start_key: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Up to `limit` of a miner's submissions, newest first, and the key to go on from."""
    projection = _projection(MINER_FIELDS)
    kwargs: dict[str, Any] = {
        "TableName": res.submissions_table,
        "IndexName": HOTKEY_INDEX,
        "KeyConditionExpression": "#k_hk = :hk",
        "ExpressionAttributeValues": {":hk": {"S": hotkey}},
        "ScanIndexForward": False,
        **projection,
    }
    kwargs["ExpressionAttributeNames"] = {
        **projection["ExpressionAttributeNames"],
        "#k_hk": "hotkey",
    }
    if start_key:
        kwargs["ExclusiveStartKey"] = start_key
    raw: list[dict[str, Any]] = []
    while len(raw) <= limit:
        kwargs["Limit"] = limit + 1 - len(raw)
        page = res.dynamodb.query(**kwargs)
        raw.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    docs = [from_item(i) for i in raw[:limit]]
    if len(raw) <= limit:
        return docs, None
    last = raw[limit - 1]
    return docs, {name: last[name] for name in HOTKEY_KEY_FIELDS}
