"""The SQS event source of the validate function, on one machine.

On AWS, Lambda polls the upload queue and hands batches to the validate function,
deleting what succeeded (ReportBatchItemFailures). This thread does the same against
the moto server's queue, feeding the very handler template.yaml deploys.
"""

from __future__ import annotations

import threading
from typing import Any

from dfab.lambda_runtime import logger
from dfab.local.handlers import Handler, LocalLambdaContext


def sqs_lambda_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS event source builds from received messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


class UploadPoller:
    """Receive, invoke, delete the successes; failures come back after the visibility
    timeout, and after a few receives move to the dead-letter queue."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        handler: Handler,
        *,
        region: str,
        batch_size: int = 5,
        wait_s: int = 1,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._handler = handler
        self._region = region
        self._batch_size = batch_size
        self._wait_s = wait_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dfab-upload-poller", daemon=True)
        self.batches = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # keep polling: a broken batch must not stop intake
                logger.exception("upload poller: batch failed")
                self._stop.wait(1.0)

    def poll_once(self) -> int:
        """One receive-invoke-delete round; the number of messages received."""
        out = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=self._wait_s,
            AttributeNames=["All"],
        )
        messages = out.get("Messages", [])
        if not messages:
            return 0
        event = sqs_lambda_event(messages, self._queue_arn, self._region)
        result = self._handler(event, LocalLambdaContext(function_name="ValidateFunction"))
        self.batches += 1
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        return len(messages)
