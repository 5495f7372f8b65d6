"""Best score per miner, raised only by a conditional write (ties keep the earlier)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from dfab.contracts.report import WeightEntry
from dfab.storage.dynamo import from_item, to_item
from dfab.storage.resources import Resources


def raise_best_score(
    res: Resources,
    *,
    hotkey: str,
    score: float,
    submission_id: str,
    scorer_version: str,
    completed_at: str,
) -> bool:
    """Record `score` as the miner's best if it beats the stored one; True if it did.

    The condition runs inside DynamoDB, so concurrent completions for one miner can
    never replace a higher score with a lower one.
    """
    item: dict[str, Any] = {
        "hotkey": hotkey,
        "score": score,
        "submission_id": submission_id,
        "scorer_version": scorer_version,
        "completed_at": completed_at,
    }
    try:
        res.dynamodb.put_item(
            TableName=res.best_scores_table,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(hotkey) OR #s < :score",
            ExpressionAttributeNames={"#s": "score"},
            ExpressionAttributeValues={":score": to_item({"v": score})["v"]},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_best_score(res: Resources, hotkey: str) -> WeightEntry | None:
    out = res.dynamodb.get_item(
        TableName=res.best_scores_table, Key={"hotkey": {"S": hotkey}}, ConsistentRead=True
    )
    if "Item" not in out:
        return None
    return WeightEntry.model_validate(from_item(out["Item"]))


def list_best_scores(res: Resources) -> list[WeightEntry]:
    """Every miner's best score (a full scan; the API issue adds pagination)."""
    entries: list[WeightEntry] = []
    paginator = res.dynamodb.get_paginator("scan")
    for page in paginator.paginate(TableName=res.best_scores_table, ConsistentRead=True):
        entries.extend(WeightEntry.model_validate(from_item(i)) for i in page["Items"])
    return sorted(entries, key=lambda e: (-e.score, e.completed_at))
