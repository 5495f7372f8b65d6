"""Validate Lambda: S3 ObjectCreated (via SQS) -> archive checks -> start the evaluation."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dfab.lambda_runtime import logger, resources, settings
from dfab.pipeline.validate import validate_upload

processor = BatchProcessor(event_type=EventType.SQS)


def _record_handler(record: SQSRecord) -> None:
    body = json.loads(record.body)
    for s3_record in body.get("Records", []):  # s3:TestEvent has none
        # S3 (and moto) deliver keys form-encoded: "a+b" means "a b".
        key = unquote_plus(s3_record["s3"]["object"]["key"])
        result = validate_upload(resources(), settings(), key)
        logger.info(
            "validated upload",
            extra={"key": key, "status": result.status if result else "ignored"},
        )


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=_record_handler, processor=processor, context=context
    )
