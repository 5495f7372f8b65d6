"""Every API error is `{"code": STABLE_CODE, "message": human}` with a fitting status.

Registered on the resolver once, so no route formats an error itself. Unexpected
exceptions become a 500 that names the request id and reveals nothing else.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from dfab.intake.errors import IntakeRefused
from dfab.lambda_runtime import logger


class ApiError(Exception):
    """An expected error a route raises: status, stable code, human message."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"code": code, "message": message}),
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _describe(exc: RequestValidationError) -> str:
    """The first problem, as `where: what` (pydantic's own wording)."""
    errors = exc.errors()
    if not errors:
        return "the request is not valid"
    first = errors[0]
    if first.get("type") == "json_invalid":
        return "the body is not valid JSON"
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body",)]
    where = ".".join(loc) or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(ApiError)
    def _api_error(exc: ApiError) -> Response[Any]:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(IntakeRefused)
    def _refused(exc: IntakeRefused) -> Response[Any]:
        headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
        logger.info("submission refused", extra={"code": exc.code.value})
        return error_response(exc.code.http_status, exc.code.value, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[Any]:
        return error_response(400, "BAD_REQUEST", _describe(exc))

    @app.not_found
    def _not_found(exc: NotFoundError) -> Response[Any]:
        return error_response(404, "NOT_FOUND", "no such route")

    @app.exception_handler(Exception)
    def _internal(exc: Exception) -> Response[Any]:
        request_id = (
            (app.current_event.request_context.request_id or "") if app.current_event else ""
        )
        logger.exception("unhandled API error")
        return error_response(
            500, "INTERNAL", f"internal error; quote request id {request_id!r} when reporting it"
        )
