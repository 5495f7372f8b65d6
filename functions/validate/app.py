"""Validate Lambda: S3 ObjectCreated (via SQS) -> archive checks -> start the evaluation.

Each (bucket, key, etag) is validated once (Powertools idempotency on the
IdempotencyTable); a failed record is reported back to SQS for a retry.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
from aws_lambda_powertools.utilities.typing import LambdaContext

from dfab.intake.idempotency import upload_idempotency
from dfab.intake.s3_events import UploadNotice, upload_notices
from dfab.intake.tables import IDEMPOTENCY, table_name
from dfab.lambda_runtime import logger, resources, settings
from dfab.pipeline.validate import validate_notice

# A batch whose every record failed is reported like any partial failure (each message
# comes back for a retry), not raised as an error of the whole invocation.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _validate(notice: UploadNotice) -> dict[str, Any]:
    return validate_notice(resources(), settings(), notice)


@lru_cache(maxsize=1)
def _guarded() -> tuple[IdempotencyConfig, Callable[..., dict[str, Any]]]:
    """Built on first use: the table name comes from the environment."""
    config, idempotent = upload_idempotency(table_name(IDEMPOTENCY))
    return config, idempotent(_validate)


def _record_handler(record: SQSRecord) -> None:
    _, validate_once = _guarded()
    for notice in upload_notices(record.body):  # s3:TestEvent announces nothing
        outcome = validate_once(notice=notice)
        logger.info("validated upload", extra=outcome)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config, _ = _guarded()
    config.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=_record_handler, processor=processor, context=context
    )
