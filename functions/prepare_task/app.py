"""PrepareTask Lambda: presigned envelope for the Generate or Verify sandbox task."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dfab.lambda_runtime import logger, resources, settings
from dfab.pipeline.prepare_task import prepare_stage


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return prepare_stage(resources(), settings(), event["submission_id"], event["stage"])
