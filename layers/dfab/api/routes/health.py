"""`GET /health` (evaluation health for validators) and `GET /ping` (the API answers)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from dfab import __version__
from dfab.api.health import collect_health
from dfab.api.responses import json_response
from dfab.api.services import ApiServices
from dfab.api.views import HealthView, PingView

router = APIGatewayRouter()


def _services() -> ApiServices:
    return router.context["services"]


@router.get(
    "/ping",
    summary="Liveness: the API answers (reads no storage)",
    operation_id="ping",
    tags=["operations"],
    responses={
        200: {"description": "The API is up", "content": {"application/json": {"model": PingView}}}
    },
)
def ping() -> Response[Any]:
    return json_response(200, PingView(version=__version__))


@router.get(
    "/health",
    summary="Evaluation health: counts, failures, stage times, queues, versions",
    operation_id="getHealth",
    tags=["operations"],
    responses={
        200: {
            "description": "Health of the evaluation flow",
            "content": {"application/json": {"model": HealthView}},
        }
    },
)
def read_health() -> Response[Any]:
    services = _services()
    view = services.cache.get_or_compute(
        "health", services.api.health_cache_s, lambda: collect_health(services)
    )
    return json_response(200, view)
