"""The submissions table: records and status transitions that never go backwards."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from dfab.contracts.reasons import Reason
from dfab.contracts.submission import (
    StatusEvent,
    SubmissionRecord,
    SubmissionStatus,
    utc_now,
)
from dfab.storage.dynamo import from_item, to_item, to_value
from dfab.storage.resources import Resources


class SubmissionNotFound(LookupError):
    pass


class TransitionRefused(RuntimeError):
    """The record is already at or past the requested status (a replay or a race)."""


def create_submission(res: Resources, record: SubmissionRecord) -> None:
    """Insert a new record; an existing id is refused (ids are never reused)."""
    doc = record.model_dump(mode="json")
    if not doc["timeline"]:
        doc["timeline"] = [
            StatusEvent(status=record.status, at=record.created_at).model_dump(mode="json")
        ]
    res.dynamodb.put_item(
        TableName=res.submissions_table,
        Item=to_item(doc),
        ConditionExpression="attribute_not_exists(submission_id)",
    )


def get_submission(res: Resources, submission_id: str) -> SubmissionRecord:
    out = res.dynamodb.get_item(
        TableName=res.submissions_table,
        Key={"submission_id": {"S": submission_id}},
        ConsistentRead=True,
    )
    if "Item" not in out:
        raise SubmissionNotFound(f"no submission {submission_id!r}")
    return SubmissionRecord.model_validate(from_item(out["Item"]))


def transition(
    res: Resources,
    submission_id: str,
    status: SubmissionStatus,
    *,
    reason: Reason | None = None,
    fields: dict[str, Any] | None = None,
) -> SubmissionRecord:
    """Move a submission forward to `status` with a conditional write.

    Only a record whose current status ranks strictly lower may move, so a replayed
    or late step can never send a submission backwards or out of a final status.
    """
    now = utc_now()
    event = StatusEvent(status=status, at=now, reason=reason).model_dump(mode="json")
    allowed = [s.value for s in SubmissionStatus if s.rank < status.rank]
    names = {"#st": "status", "#up": "updated_at", "#tl": "timeline"}
    values: dict[str, Any] = {
        ":new": {"S": status.value},
        ":now": {"S": now},
        ":ev": {"L": [to_value(event)]},
    }
    sets = ["#st = :new", "#up = :now", "#tl = list_append(#tl, :ev)"]
    extra = dict(fields or {})
    if reason is not None:
        extra["reason"] = reason.model_dump(mode="json", by_alias=True)
    for i, (name, value) in enumerate(sorted(extra.items())):
        if value is None:
            continue
        names[f"#f{i}"] = name
        values[f":f{i}"] = to_value(value)
        sets.append(f"#f{i} = :f{i}")
    placeholders = []
    for i, s in enumerate(allowed):
        values[f":a{i}"] = {"S": s}
        placeholders.append(f":a{i}")
    try:
        out = res.dynamodb.update_item(
            TableName=res.submissions_table,
            Key={"submission_id": {"S": submission_id}},
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression="attribute_exists(submission_id) AND "
            f"#st IN ({', '.join(placeholders)})",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            try:
                current = get_submission(res, submission_id).status
            except SubmissionNotFound as missing:
                raise missing from exc
            raise TransitionRefused(
                f"submission {submission_id} is {current}; cannot move to {status}"
            ) from exc
        raise
    return SubmissionRecord.model_validate(from_item(out["Attributes"]))
