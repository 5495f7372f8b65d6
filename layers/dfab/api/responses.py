"""How routes answer: JSON with the caching header each kind of data calls for."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel

#: Per-request data (a submission, a miner, weights for Platform): never stored by caches.
NO_STORE = "no-store"


def public_max_age(seconds: float) -> str:
    """Public data a shared cache may keep for as long as this container would anyway."""
    return f"public, max-age={max(0, int(seconds))}"


def json_response(status: int, body: Any, *, cache_control: str = NO_STORE) -> Response[Any]:
    """A JSON response; `body` is a pydantic model, a plain document or serialized JSON.

    Models are serialized here by pydantic (compiled), not by the resolver's generic
    encoder: a 100-entry leaderboard page costs a fraction of the time.
    """
    if isinstance(body, BaseModel):
        body = body.model_dump_json()
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Cache-Control": cache_control},
    )
