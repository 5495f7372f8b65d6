"""API Lambda: every route of the public HTTP API (API Gateway REST, proxy events)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dfab.api.resolver import handle
from dfab.api.services import ApiServices
from dfab.lambda_runtime import logger, resources, settings


@lru_cache(maxsize=1)
def services() -> ApiServices:
    return ApiServices.build(settings(), resources())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context, services())
