"""Parse Lambda: generation result + JSONL -> Parquet and per-line verdicts."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dfab.lambda_runtime import logger, resources, settings
from dfab.pipeline.parse import parse_dataset


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return parse_dataset(resources(), settings(), event["submission_id"])
