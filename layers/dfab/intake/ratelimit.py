"""Per-hotkey rate limit: at most N submissions in any sliding window of W seconds.

N slot items per hotkey (`rate#<hotkey>#<k>`), each held for W seconds by the
submission that took it. Taking a slot is one conditional put ("free, or its hold has
ended"), atomic in DynamoDB, so parallel requests can never exceed N: an exact
sliding window with no counter to race on, using PutItem only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError


@dataclass(frozen=True)
class SlotOutcome:
    taken: bool
    #: When refused: seconds until the earliest slot frees (0 if unknown).
    retry_after_s: int = 0


def slot_key(hotkey: str, index: int) -> str:
    return f"rate#{hotkey}#{index}"


def take_slot(
    dynamodb: Any, table: str, hotkey: str, *, limit: int, window_s: int, now: int
) -> SlotOutcome:
    """Hold one of the hotkey's `limit` slots until `now + window_s`, if one is free."""
    frees_at: list[int] = []
    for index in range(limit):
        try:
            dynamodb.put_item(
                TableName=table,
                Item={
                    "nonce_key": {"S": slot_key(hotkey, index)},
                    "expires_at": {"N": str(now + window_s)},
                },
                ConditionExpression="attribute_not_exists(nonce_key) OR expires_at <= :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            held = exc.response.get("Item", {}).get("expires_at", {}).get("N")
            if held is not None:
                frees_at.append(int(held))
            continue
        return SlotOutcome(taken=True)
    retry = max(0, min(frees_at) - now) if frees_at else 0
    return SlotOutcome(taken=False, retry_after_s=retry)
