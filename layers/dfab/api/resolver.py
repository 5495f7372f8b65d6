"""The one API resolver: routers, error handlers, a body-size guard, and `handle`."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from dfab.api.errors import error_response, register_error_handlers
from dfab.api.routes import health, leaderboard, miners, submissions, weights
from dfab.api.services import ApiServices

#: Every router of the API; a new resource adds its module here.
ROUTERS = (
    submissions.router,
    weights.router,
    leaderboard.router,
    miners.router,
    health.router,
)

#: No request body of this API comes close; larger ones are refused before parsing.
MAX_BODY_BYTES = 16 * 1024


def _body_limit(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    body = app.current_event.body or ""
    if len(body) > MAX_BODY_BYTES:
        return error_response(
            400, "BAD_REQUEST", f"the body is over {MAX_BODY_BYTES} bytes; nothing here needs that"
        )
    return next_middleware(app)


@lru_cache(maxsize=1)
def resolver() -> APIGatewayRestResolver:
    """The process's one resolver (also what the OpenAPI document is generated from).

    One only: an included router serves the last resolver that included it. Like a
    Lambda container, it serves one request at a time (the local server serializes).
    """
    app = APIGatewayRestResolver(enable_validation=True)
    app.use(middlewares=[_body_limit])
    for router in ROUTERS:
        app.include_router(router)
    register_error_handlers(app)
    return app


def handle(event: dict[str, Any], context: Any, services: ApiServices) -> dict[str, Any]:
    """Serve one API Gateway (REST, proxy) event with `services` in the route context."""
    app = resolver()
    app.append_context(services=services)
    return app.resolve(event, context)
