"""The presigned POST a miner uploads the archive with.

Bound to one key (`uploads/{hotkey}/{id}.{fmt}`) and to exactly the signed size
(`content-length-range`), valid for `upload_url_ttl_s`. S3 enforces both on AWS;
moto does not, which is why validation re-checks size and sha256.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from dfab.intake.timefmt import iso

#: Any of these set means a local endpoint (moto server), which serves path-style only.
_ENDPOINT_ENVS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")


@dataclass(frozen=True)
class UploadForm:
    url: str
    fields: dict[str, str]
    key: str
    expires_at: str
    size: int


def presign_client(region: str) -> Any:
    """An S3 client that presigns with SigV4 at the regional endpoint.

    botocore's default for presigned POST is the legacy SigV2, which buckets
    created since mid-2020 refuse; virtual-hosted regional URLs avoid the global
    endpoint's redirects for buckets outside us-east-1.
    """
    local = any(os.environ.get(name) for name in _ENDPOINT_ENVS)
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if local else "virtual"},
    )
    return boto3.client("s3", region_name=region, config=config)


def presign_upload(
    client: Any, *, bucket: str, key: str, size: int, ttl_s: int, now: float
) -> UploadForm:
    post = client.generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Conditions=[["content-length-range", size, size]],
        ExpiresIn=ttl_s,
    )
    return UploadForm(
        url=str(post["url"]),
        fields={str(k): str(v) for k, v in post["fields"].items()},
        key=key,
        expires_at=iso(now + ttl_s),
        size=size,
    )
