"""Powertools idempotency for upload validation: one validation per (bucket, key, etag).

S3 and SQS both deliver at least once. The forward-only status transitions already
make a duplicate a no-op; this layer also stops a duplicate that arrives while the
first is still running (it fails and is retried, then sees the stored result).

A failed attempt must release its lock so the retry can run. Powertools deletes the
record for that; here it is expired instead (an UpdateItem), so the validate role
needs no DeleteItem on any table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from dfab.intake.s3_events import UploadNotice

#: How long a validation's outcome is remembered: the upload queue's retention (4 days).
RECORD_TTL_S = 4 * 24 * 3600

F = TypeVar("F", bound=Callable[..., Any])


class ExpiringDynamoDBPersistenceLayer(DynamoDBPersistenceLayer):
    """Releases a failed attempt by expiring its record instead of deleting it.

    Powertools overwrites a record whose expiry has passed, so an expired record is as
    good as a deleted one for the retry, and TTL removes it later.
    """

    def _delete_record(self, data_record: DataRecord) -> None:
        self.client.update_item(
            TableName=self.table_name,
            Key=self._get_key(data_record.idempotency_key),
            UpdateExpression="SET #expiry = :gone",
            ExpressionAttributeNames={"#expiry": self.expiry_attr},
            ExpressionAttributeValues={":gone": {"N": "0"}},
        )


def upload_idempotency(table_name: str) -> tuple[IdempotencyConfig, Callable[[F], F]]:
    """The config (register the Lambda context on it) and a decorator for a function
    taking `notice: UploadNotice` as a keyword argument and returning a JSON-able dict."""
    config = IdempotencyConfig(
        event_key_jmespath="[bucket, key, etag]",
        expires_after_seconds=RECORD_TTL_S,
        raise_on_no_idempotency_key=True,
    )
    persistence = ExpiringDynamoDBPersistenceLayer(table_name=table_name)
    decorator = idempotent_function(
        data_keyword_argument="notice",
        config=config,
        persistence_store=persistence,
        output_serializer=None,
    )
    return config, decorator  # type: ignore[return-value]


__all__ = ["ExpiringDynamoDBPersistenceLayer", "UploadNotice", "upload_idempotency"]
