"""MarkFailed Lambda: the Catch target; records FAILED with the caught reason."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dfab.lambda_runtime import logger, resources, settings
from dfab.pipeline.mark_failed import mark_failed


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return mark_failed(resources(), settings(), event["submission_id"], event.get("error"))
