"""The miner's side of the API: sign a request, upload the archive, read the status.

Used by `dfab submit` and `dfab status`; plain `requests`, nothing AWS-specific (the
presigned POST is an ordinary multipart form).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import requests

from dfab.intake.hotkeys import Hotkey
from dfab.intake.signing import ArchiveFormat, SubmitRequest, canonical_message

TIMEOUT_S = 30
#: Uploads are at most a few MiB; allow slow links.
UPLOAD_TIMEOUT_S = 300


class ApiRefused(Exception):
    """The API answered with an error: `{"code", "message"}` and the HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class ApiUnreachable(Exception):
    """No answer from the API (or the storage behind the presigned URL)."""


def _why(exc: requests.RequestException) -> str:
    """The useful part of a connection error ("[Errno 111] Connection refused")."""
    found = re.search(r"\[Errno -?\d+\] [^'\")\]]+", str(exc))
    return found.group(0) if found else type(exc).__name__


def signed_request(
    key: Hotkey,
    archive: bytes,
    fmt: ArchiveFormat,
    *,
    ss58_format: int = 42,
    now: float | None = None,
    nonce: str | None = None,
) -> SubmitRequest:
    """A `POST /submissions` body for `archive`, signed by `key`."""
    hotkey = key.address(ss58_format)
    sha = hashlib.sha256(archive).hexdigest()
    timestamp = int(time.time() if now is None else now)
    nonce = nonce or secrets.token_urlsafe(24)
    message = canonical_message(
        hotkey=hotkey, sha256=sha, size=len(archive), fmt=fmt, timestamp=timestamp, nonce=nonce
    )
    return SubmitRequest(
        hotkey=hotkey,
        sha256=sha,
        size=len(archive),
        format=fmt,
        timestamp=timestamp,
        nonce=nonce,
        signature="0x" + key.sign(message).hex(),
    )


@dataclass
class ApiClient:
    base_url: str
    session: requests.Session

    @classmethod
    def connect(cls, base_url: str) -> ApiClient:
        return cls(base_url.rstrip("/"), requests.Session())

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        try:
            reply = self.session.request(method, url, timeout=TIMEOUT_S, **kwargs)
        except requests.RequestException as exc:
            raise ApiUnreachable(f"cannot reach the API at {self.base_url}: {_why(exc)}") from exc
        try:
            doc = reply.json()
        except ValueError:
            doc = None
        if reply.status_code >= 400:
            if isinstance(doc, dict) and "code" in doc:
                raise ApiRefused(reply.status_code, str(doc["code"]), str(doc.get("message", "")))
            raise ApiRefused(reply.status_code, f"HTTP_{reply.status_code}", reply.text[:300])
        if not isinstance(doc, dict):
            raise ApiUnreachable(f"{url} answered {reply.status_code} without a JSON object")
        return doc

    def create_submission(self, request: SubmitRequest) -> dict[str, Any]:
        return self._call("POST", "/submissions", json=request.model_dump(mode="json"))

    def submission(self, submission_id: str) -> dict[str, Any]:
        return self._call("GET", f"/submissions/{submission_id}")

    def upload(self, form: dict[str, Any], archive: bytes, filename: str) -> None:
        """Multipart POST of the presigned fields plus the archive as `file` (last)."""
        try:
            reply = self.session.post(
                str(form["url"]),
                data=dict(form["fields"]),
                files={"file": (filename, archive, "application/octet-stream")},
                timeout=UPLOAD_TIMEOUT_S,
            )
        except requests.RequestException as exc:
            raise ApiUnreachable(f"upload to {form['url']} failed: {_why(exc)}") from exc
        if reply.status_code >= 300:
            raise ApiRefused(
                reply.status_code,
                "UPLOAD_REFUSED",
                f"storage refused the upload ({reply.status_code}): {reply.text[:300]}",
            )
