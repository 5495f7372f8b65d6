"""Score Lambda: one signal group per invocation (a branch of the Score state)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dfab.lambda_runtime import logger, resources, settings
from dfab.pipeline.score import score_group


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return score_group(resources(), settings(), event["submission_id"], event["group"])
