"""`GET /weights` (CONTRACTS.md §4): every miner's best completed score, for Platform.

Authenticated by the API Gateway authorizer (`dfab.api.auth`); the route also refuses
any event that did not pass it, so a deployment that lost the authorizer fails closed
instead of serving weights to anyone. The body is the container's current ranking
(`dfab.api.ranking`), serialized once per ranking change: one GetItem per request.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from dfab.api.auth import PRINCIPAL
from dfab.api.errors import error_response
from dfab.api.responses import json_response
from dfab.api.services import ApiServices
from dfab.contracts.report import WeightsResponse

router = APIGatewayRouter()

#: The OpenAPI security scheme of this route and its operation id (docs/openapi.yaml).
#: Declared there by dfab.api.openapi rather than on the route, so the resolver's own
#: schema stays generatable without the deployment's security schemes.
SECURITY_SCHEME = "platformToken"
OPERATION_ID = "getWeights"


def _services() -> ApiServices:
    return router.context["services"]


def require_authorizer(
    app: APIGatewayRestResolver, next_middleware: NextMiddleware
) -> Response[Any]:
    """Refuse a request API Gateway's authorizer did not admit (defence in depth)."""
    authorizer = app.current_event.request_context.authorizer
    if authorizer.principal_id != PRINCIPAL:
        return error_response(
            401, "UNAUTHORIZED", "this route needs a bearer token checked by the authorizer"
        )
    return next_middleware(app)


@router.get(
    "/weights",
    summary="Best completed score of every miner (for Platform)",
    description="CONTRACTS.md §4. Scores are raw, each in [0, 1]; a miner without a "
    "completed evaluation is absent. Ordered by score, highest first (ties: the earlier "
    "completion first). `generated_at` is when the scores were read.",
    operation_id=OPERATION_ID,
    tags=["platform"],
    middlewares=[require_authorizer],
    responses={
        200: {
            "description": "Every miner's best completed score",
            "content": {"application/json": {"model": WeightsResponse}},
        }
    },
)
def read_weights() -> Response[Any]:
    services = _services()
    ranking = services.ranking.get(services.resources, max_age_s=services.api.ranking_max_age_s)
    return json_response(200, ranking.weights_json())
