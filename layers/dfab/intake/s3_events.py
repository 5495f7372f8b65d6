"""The S3 ObjectCreated notification, as it arrives through SQS: our own slim model.

Only the fields we use, all of which both S3 and moto send. S3 delivers object keys
form-encoded ("a+b" means "a b"), so keys are decoded here, once.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict


class UploadNotice(BaseModel):
    """One created object: the idempotency key of its validation is (bucket, key, etag)."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str
    etag: str = ""
    size: int | None = None


def upload_notices(sqs_body: str) -> list[UploadNotice]:
    """The objects an SQS message body announces (none for `s3:TestEvent`)."""
    doc = json.loads(sqs_body)
    notices = []
    for record in doc.get("Records", []) if isinstance(doc, dict) else []:
        s3 = record.get("s3") or {}
        obj = s3.get("object") or {}
        if not str(record.get("eventName", "ObjectCreated")).startswith("ObjectCreated"):
            continue
        notices.append(
            UploadNotice(
                bucket=str((s3.get("bucket") or {}).get("name", "")),
                key=unquote_plus(str(obj.get("key", ""))),
                etag=str(obj.get("eTag") or obj.get("etag") or ""),
                size=obj.get("size") if isinstance(obj.get("size"), int) else None,
            )
        )
    return notices
