"""Best score per miner, raised only by a conditional write (ties keep the earlier).

Each item also carries its place in the ranking: the `by_rank` index (partition
`board`, always `BOARD`; sort key `rank_key`) holds every miner in rank order, so the
whole ranking is a Query on one index partition, never a table scan.

Every successful raise also bumps the ranking version (one counter item, outside the
index): readers that keep the ranking in memory (`dfab.api.ranking`) check that one
item per request and read the ranking again only when it changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from botocore.exceptions import ClientError
from pydantic import Field

from dfab import SCORER_VERSION
from dfab.contracts.report import WeightEntry
from dfab.contracts.submission import SubmissionRecord, SubmissionStatus, utc_now
from dfab.storage.dynamo import from_item, to_item, to_value
from dfab.storage.resources import Resources

RANK_INDEX = "by_rank"
#: The one partition of the rank index. 10k miners are ~3 MB there: far below what a
#: single index partition serves, and writes happen only when a best score rises.
BOARD = "all"
#: Score digits kept in the rank key: ordering finer than 1e-15 falls to `completed_at`.
_RANK_DIGITS = 15
_RANK_SCALE = 10**_RANK_DIGITS
#: What a ranking entry needs; fewer bytes to move and to decode than whole items.
_RANKED_FIELDS = ("hotkey", "score", "submission_id", "completed_at", "scorer_version", "rank_key")
#: The counter item of ranking changes. "~" is no SS58 character, so no hotkey collides,
#: and without `board` / `rank_key` it never appears in the rank index.
VERSION_KEY = "~ranking-version"

_log = logging.getLogger(__name__)


class BestScoreRecord(WeightEntry):
    """What the table holds per miner: the weight entry plus the scorer that produced it."""

    scorer_version: str = Field(description="Scorer version of the evaluation behind the score.")


def rank_key(score: float, completed_at: str, hotkey: str) -> str:
    """Sort key of the rank index: higher score first, then earlier completion, then hotkey.

    The score is inverted into a fixed-width decimal so that ascending string order is
    descending score order; `completed_at` (ISO 8601, fixed width) breaks ties the same
    way `raise_best_score` does (the earlier keeps its place), the hotkey makes keys unique.
    """
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"score {score} is outside [0, 1]")
    scaled = (Decimal(repr(score)) * _RANK_SCALE).to_integral_value(ROUND_HALF_EVEN)
    inverted = _RANK_SCALE - int(scaled)
    return f"{inverted:0{_RANK_DIGITS + 1}d}#{completed_at}#{hotkey}"


def best_score_item(
    *, hotkey: str, score: float, submission_id: str, scorer_version: str, completed_at: str
) -> dict[str, Any]:
    """The table item (DynamoDB attribute values) for one miner's best score."""
    return to_item(
        {
            "hotkey": hotkey,
            "score": score,
            "submission_id": submission_id,
            "scorer_version": scorer_version,
            "completed_at": completed_at,
            "board": BOARD,
            "rank_key": rank_key(score, completed_at, hotkey),
        }
    )


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
    item = best_score_item(
        hotkey=hotkey,
        score=score,
        submission_id=submission_id,
        scorer_version=scorer_version,
        completed_at=completed_at,
    )
    try:
        res.dynamodb.put_item(
            TableName=res.best_scores_table,
            Item=item,
            ConditionExpression="attribute_not_exists(hotkey) OR #s < :score",
            ExpressionAttributeNames={"#s": "score"},
            ExpressionAttributeValues={":score": to_value(score)},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    _bump_version(res)
    return True


def _bump_version(res: Resources) -> None:
    """Count one ranking change. The score is already stored: a failed bump only delays
    readers until their cache's maximum age, so it must not fail the completion."""
    try:
        res.dynamodb.update_item(
            TableName=res.best_scores_table,
            Key={"hotkey": {"S": VERSION_KEY}},
            UpdateExpression="ADD #v :one SET #at = :at",
            ExpressionAttributeNames={"#v": "version", "#at": "changed_at"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":at": {"S": utc_now()}},
        )
    except ClientError:
        _log.warning("ranking version not bumped; readers catch up at their cache's max age")


@dataclass(frozen=True)
class RankingVersion:
    """How many times the ranking changed, and when it last did (None: never)."""

    version: int
    changed_at: str | None


def ranking_version(res: Resources) -> RankingVersion:
    out = res.dynamodb.get_item(
        TableName=res.best_scores_table,
        Key={"hotkey": {"S": VERSION_KEY}},
        ConsistentRead=True,
    )
    item = out.get("Item") or {}
    return RankingVersion(
        version=int(item["version"]["N"]) if "version" in item else 0,
        changed_at=item["changed_at"]["S"] if "changed_at" in item else None,
    )


def get_best_record(res: Resources, hotkey: str) -> BestScoreRecord | None:
    if hotkey == VERSION_KEY:
        return None
    out = res.dynamodb.get_item(
        TableName=res.best_scores_table, Key={"hotkey": {"S": hotkey}}, ConsistentRead=True
    )
    if "Item" not in out:
        return None
    return BestScoreRecord.model_validate(from_item(out["Item"]))


def get_best_score(res: Resources, hotkey: str) -> WeightEntry | None:
    record = get_best_record(res, hotkey)
    return None if record is None else WeightEntry.model_validate(record.model_dump())


def _ranked(item: dict[str, Any]) -> tuple[str, BestScoreRecord]:
    """Decode the projected attributes directly: 10k items, no generic deserializer."""
    return item["rank_key"]["S"], BestScoreRecord(
        hotkey=item["hotkey"]["S"],
        score=float(item["score"]["N"]),
        submission_id=item["submission_id"]["S"],
        completed_at=item["completed_at"]["S"],
        scorer_version=item["scorer_version"]["S"],
    )


def iter_ranking(res: Resources) -> Iterator[tuple[str, BestScoreRecord]]:
    """Every miner's best score with its rank key, in rank order, a page (<= 1 MB) at a time."""
    kwargs: dict[str, Any] = {
        "TableName": res.best_scores_table,
        "IndexName": RANK_INDEX,
        "KeyConditionExpression": "board = :b",
        "ExpressionAttributeValues": {":b": {"S": BOARD}},
        "ProjectionExpression": ", ".join(f"#a{i}" for i in range(len(_RANKED_FIELDS))),
        "ExpressionAttributeNames": {f"#a{i}": name for i, name in enumerate(_RANKED_FIELDS)},
    }
    while True:
        page = res.dynamodb.query(**kwargs)
        for item in page.get("Items", []):
            yield _ranked(item)
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def list_best_scores(res: Resources) -> list[WeightEntry]:
    """Every miner's best score, highest first (ties: the earlier completion first)."""
    return [
        WeightEntry(
            hotkey=r.hotkey,
            score=r.score,
            submission_id=r.submission_id,
            completed_at=r.completed_at,
        )
        for _, r in iter_ranking(res)
    ]


def backfill_ranking(res: Resources) -> int:
    """Give items written before the rank index existed their `board` / `rank_key`.

    A one-off for stacks deployed before the results API (their best scores are not in
    `by_rank`, so GET /weights would omit them). It scans the table once, so it is an
    operator's command, never a request path; returns how many items it updated.
    """
    updated = 0
    for page in res.dynamodb.get_paginator("scan").paginate(TableName=res.best_scores_table):
        for item in page["Items"]:
            doc = from_item(item)
            if doc["hotkey"] == VERSION_KEY or "rank_key" in doc:
                continue
            res.dynamodb.update_item(
                TableName=res.best_scores_table,
                Key={"hotkey": item["hotkey"]},
                UpdateExpression="SET board = :b, rank_key = :k",
                ConditionExpression="#s = :s",
                ExpressionAttributeNames={"#s": "score"},
                ExpressionAttributeValues={
                    ":b": {"S": BOARD},
                    ":k": {"S": rank_key(float(doc["score"]), doc["completed_at"], doc["hotkey"])},
                    ":s": item["score"],
                },
            )
            updated += 1
    if updated:
        _bump_version(res)
    return updated


def raise_recorded_best_score(res: Resources, record: SubmissionRecord) -> bool:
    """Raise the miner's best score from a COMPLETED record (idempotent).

    For the paths where an Aggregate attempt completed the record but died before the
    best-score write: its retry, or MarkFailed after a timeout. The conditional write
    makes a repeat harmless.
    """
    if record.status != SubmissionStatus.COMPLETED or record.score is None:
        raise ValueError(f"{record.submission_id} is {record.status.value}, not COMPLETED")
    return raise_best_score(
        res,
        hotkey=record.hotkey,
        score=record.score,
        submission_id=record.submission_id,
        scorer_version=record.scorer_version or SCORER_VERSION,
        completed_at=record.completed_at or record.updated_at,
    )
