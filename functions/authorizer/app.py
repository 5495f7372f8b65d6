"""Lambda TOKEN authorizer of `GET /weights`: bearer token -> SHA-256 -> stored hash list.

Reads only its own SSM parameter (`DFAB_WEIGHTS_TOKEN_PARAMETER`), never the validator
config; the decision is `dfab.api.auth.authorize`, the same code `dfab serve` runs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from dfab.api.auth import Unauthorized, authorize
from dfab.api.token_store import TokenHashStore

logger = Logger(service="dfab")


@lru_cache(maxsize=1)
def store() -> TokenHashStore:
    return TokenHashStore.from_environment()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        policy = authorize(event, store().hashes())
    except Unauthorized:
        logger.info("weights request without a usable bearer token")
        raise
    effect = policy["policyDocument"]["Statement"][0]["Effect"]
    logger.info("weights token checked", extra={"effect": effect, **policy.get("context", {})})
    return policy
