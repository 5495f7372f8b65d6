"""Replay protection: each (hotkey, nonce) is accepted once.

A conditional put that fails if the item exists is atomic in DynamoDB, so two
concurrent copies of one signed request can never both pass. The item expires (TTL)
once its timestamp could no longer pass the freshness check anyway; the check does
not rely on TTL deletion, which may lag by days.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


def nonce_key(hotkey: str, nonce: str) -> str:
    return f"nonce#{hotkey}#{nonce}"


def claim_nonce(dynamodb: Any, table: str, hotkey: str, nonce: str, expires_at: int) -> bool:
    """Record the nonce as used; False if this hotkey used it before."""
    try:
        dynamodb.put_item(
            TableName=table,
            Item={
                "nonce_key": {"S": nonce_key(hotkey, nonce)},
                "expires_at": {"N": str(int(expires_at))},
            },
            ConditionExpression="attribute_not_exists(nonce_key)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
