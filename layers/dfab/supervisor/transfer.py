"""HTTP transfers over presigned URLs (the task has no AWS credentials, only these).

Downloads are streamed to disk with a hard byte cap; uploads are a single PUT or a
multipart upload whose parts and completion were presigned in advance. Transient
failures (connection errors, 5xx) are retried a few times.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import requests

from dfab.supervisor.envelope import DatasetUpload

TIMEOUT = (10, 120)
ATTEMPTS = 4


class TransferError(RuntimeError):
    """A presigned transfer failed for good (infrastructure, not the harness)."""


class TooLarge(TransferError):
    """A download exceeded its byte cap."""


def _retry(what: str, call: Callable[[], requests.Response]) -> requests.Response:
    last: Exception | str = "no attempt"
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(min(8.0, 0.5 * 2**attempt))
        try:
            resp = call()
        except requests.RequestException as exc:
            last = exc
            continue
        if resp.status_code < 500:
            if resp.status_code >= 400:
                raise TransferError(f"{what}: HTTP {resp.status_code} {resp.text[:300]}")
            return resp
        last = f"HTTP {resp.status_code}"
    raise TransferError(f"{what}: failed after {ATTEMPTS} attempts ({last})")


def get_to_file(url: str, dest: Path, *, max_bytes: int, what: str) -> int:
    """Stream a GET into `dest`; more than `max_bytes` raises `TooLarge`."""

    def call() -> requests.Response:
        return requests.get(url, stream=True, timeout=TIMEOUT)

    resp = _retry(what, call)
    size = 0
    with resp, dest.open("wb") as out:
        for chunk in resp.iter_content(chunk_size=1 << 16):
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"{what}: over {max_bytes} bytes")
            out.write(chunk)
    return size


def get_json(url: str, *, max_bytes: int, what: str) -> Any:
    resp = _retry(what, lambda: requests.get(url, timeout=TIMEOUT))
    if len(resp.content) > max_bytes:
        raise TooLarge(f"{what}: over {max_bytes} bytes")
    return resp.json()


def put_bytes(url: str, data: bytes, *, what: str) -> None:
    _retry(what, lambda: requests.put(url, data=data, timeout=TIMEOUT))


def delete(url: str, *, what: str) -> None:
    _retry(what, lambda: requests.delete(url, timeout=TIMEOUT))


def upload_file(target: DatasetUpload, path: Path) -> str:
    """Upload `path` to the dataset key; returns "put" or "multipart"."""
    size = path.stat().st_size
    if size <= target.part_size:
        put_bytes(target.put_url, path.read_bytes(), what="dataset upload")
        with contextlib.suppress(TransferError):  # a lifecycle rule reaps abandoned ones
            delete(target.abort_url, what="abort unused multipart upload")
        return "put"
    parts = -(-size // target.part_size)
    if parts > len(target.part_urls):
        raise TransferError(
            f"dataset of {size} bytes needs {parts} parts; only {len(target.part_urls)} presigned"
        )
    etags: list[str] = []
    with path.open("rb") as f:
        for n in range(parts):
            chunk = f.read(target.part_size)
            url = target.part_urls[n]
            resp = _retry(
                f"dataset part {n + 1}",
                lambda u=url, c=chunk: requests.put(u, data=c, timeout=TIMEOUT),
            )
            etag = resp.headers.get("ETag")
            if not etag:
                raise TransferError(f"dataset part {n + 1}: no ETag in the response")
            etags.append(etag)
    body = (
        "<CompleteMultipartUpload>"
        + "".join(
            f"<Part><PartNumber>{i + 1}</PartNumber><ETag>{escape(tag)}</ETag></Part>"
            for i, tag in enumerate(etags)
        )
        + "</CompleteMultipartUpload>"
    )
    resp = _retry(
        "complete multipart upload",
        lambda: requests.post(target.complete_url, data=body.encode(), timeout=TIMEOUT),
    )
    if b"<Error>" in resp.content[:2000]:
        raise TransferError(f"complete multipart upload: {resp.text[:300]}")
    return "multipart"
