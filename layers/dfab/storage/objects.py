"""Small, typed reads and writes of JSON documents in the bucket."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from dfab.storage.resources import Resources


def put_json(res: Resources, key: str, doc: Any) -> None:
    body = json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    res.s3.put_object(Bucket=res.bucket, Key=key, Body=body, ContentType="application/json")


def get_json(res: Resources, key: str) -> Any | None:
    """The decoded document, or None when the object does not exist."""
    try:
        obj = res.s3.get_object(Bucket=res.bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    return json.loads(obj["Body"].read())


def download(res: Resources, key: str, dest: Path) -> bool:
    """Copy an object to a local file; False when it does not exist."""
    try:
        res.s3.download_file(res.bucket, key, str(dest))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return False
        raise
    return True


def upload(res: Resources, src: Path, key: str) -> None:
    res.s3.upload_file(str(src), res.bucket, key)
