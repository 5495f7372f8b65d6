"""Reading a deployment's results: `GET /weights` (with Platform's token), `GET /leaderboard`.

Used by `dfab weights` and `dfab leaderboard`; plain `requests`, so it reads AWS and
`dfab serve` alike. Errors are the intake client's `ApiRefused` / `ApiUnreachable`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests

from dfab.contracts.report import WeightsResponse
from dfab.intake.client import ApiRefused, ApiUnreachable

TIMEOUT_S = 30


def _why(exc: requests.RequestException) -> str:
    found = re.search(r"\[Errno -?\d+\] [^'\")\]]+", str(exc))
    return found.group(0) if found else type(exc).__name__


@dataclass
class ResultsClient:
    base_url: str
    session: requests.Session

    @classmethod
    def connect(cls, base_url: str) -> ResultsClient:
        return cls(base_url.rstrip("/"), requests.Session())

    def _get(
        self, path: str, *, params: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = f"{self.base_url}{path}"
        try:
            reply = self.session.get(url, params=params, headers=headers, timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            raise ApiUnreachable(f"cannot reach the API at {self.base_url}: {_why(exc)}") from exc
        try:
            doc = reply.json()
        except ValueError:
            doc = None
        if reply.status_code >= 400:
            if isinstance(doc, dict) and "code" in doc:
                raise ApiRefused(reply.status_code, str(doc["code"]), str(doc.get("message", "")))
            message = doc.get("message") if isinstance(doc, dict) else None
            raise ApiRefused(
                reply.status_code, f"HTTP_{reply.status_code}", str(message or reply.text[:300])
            )
        if not isinstance(doc, dict):
            raise ApiUnreachable(f"{url} answered {reply.status_code} without a JSON object")
        return doc

    def weights(self, token: str | None) -> WeightsResponse:
        """CONTRACTS.md §4, validated (a document that breaks it is an error, not data)."""
        return WeightsResponse.model_validate(self._get("/weights", token=token))

    def leaderboard(self, *, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = limit
        if cursor:
            params["cursor"] = cursor
        return self._get("/leaderboard", params=params)
