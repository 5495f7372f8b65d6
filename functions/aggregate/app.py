"""Aggregate Lambda: final score, report, COMPLETED, conditional best-score raise."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dfab.lambda_runtime import logger, resources, settings
from dfab.pipeline.aggregate import aggregate


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return aggregate(resources(), settings(), event["submission_id"])
