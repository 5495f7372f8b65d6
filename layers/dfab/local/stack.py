"""`LocalStack`: moto in-process, the deployed state machine, handlers and sandbox tasks."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote_plus

import boto3
from moto import mock_aws

from dfab import lambda_runtime
from dfab.local.aws_router import LocalAwsRouter, TaskFunction
from dfab.local.deployment import deploy_flow, named_resources, run_supervisor_task
from dfab.local.env import EnvOverlay, lambda_like_environment
from dfab.local.handlers import LocalLambdaContext
from dfab.local.moto_compat import apply_moto_fixes
from dfab.local.project import project_root
from dfab.local.template import ACCOUNT
from dfab.settings import Settings

FINAL_EXECUTION_STATES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


class LocalStack:
    """The whole deployed flow inside this process, for one or more evaluations.

    Usage: `with LocalStack(settings) as stack: stack.submit(...)`. Resource names come
    from `settings.storage`; the handlers see them through the same environment
    variables template.yaml sets on AWS.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        root: Path | None = None,
        task_function: TaskFunction | None = None,
    ) -> None:
        self.settings = settings
        self.root = root or project_root()
        self.resources = named_resources(settings)
        self._task_function = task_function or run_supervisor_task
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._env = EnvOverlay()
        self.router: LocalAwsRouter | None = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalStack:
        self._mock.start()
        try:
            self._start()
        except BaseException:
            self._mock.stop()
            self._env.restore()
            raise
        return self

    def _start(self) -> None:
        apply_moto_fixes()
        region = self.resources.region
        # moto's interpreter logs every caught task error at ERROR; the report says it
        # once, clearly. DFAB_LOG_LEVEL=DEBUG shows them again.
        logging.getLogger("moto.stepfunctions").setLevel(
            os.environ.get("DFAB_LOG_LEVEL", "CRITICAL").upper()
        )
        self._env.set(lambda_like_environment(region))
        deployment = deploy_flow(
            self.settings, self.resources, self.root, self._task_function, self._env
        )
        self.router = deployment.router

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.router is not None:
            self.router.close(wait=exc_type is None)
        lambda_runtime.reset()
        self._mock.stop()
        boto3.DEFAULT_SESSION = None
        self._env.restore()

    # ------------------------------------------------------------------ actions
    def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        """Call a deployed function the way AWS would (used for the S3->SQS delivery)."""
        client = boto3.client("lambda", region_name=self.resources.region)
        out = client.invoke(FunctionName=function_id, Payload=json.dumps(event).encode())
        payload = json.loads(out["Payload"].read())
        if out.get("FunctionError"):
            raise RuntimeError(f"{function_id} failed: {payload.get('errorMessage')}")
        return payload

    def deliver_upload(self, key: str) -> Any:
        """What S3 -> SQS -> validate does on AWS: one SQS record holding the S3 event."""
        head = self.resources.s3.head_object(Bucket=self.resources.bucket, Key=key)
        s3_event = {
            "Records": [
                {
                    "eventSource": "aws:s3",
                    "eventName": "ObjectCreated:Post",
                    "s3": {
                        "bucket": {"name": self.resources.bucket},
                        "object": {
                            "key": quote_plus(key, safe="/"),
                            "size": int(head["ContentLength"]),
                            "eTag": str(head["ETag"]).strip('"'),
                        },
                    },
                }
            ]
        }
        sqs_event = {
            "Records": [
                {
                    "messageId": f"local-{time.time_ns()}",
                    "receiptHandle": "local",
                    "body": json.dumps(s3_event),
                    "attributes": {},
                    "messageAttributes": {},
                    "md5OfBody": "",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:{self.resources.region}:{ACCOUNT}:uploads",
                    "awsRegion": self.resources.region,
                }
            ]
        }
        return self.invoke("ValidateFunction", sqs_event)

    def execution_arn(self, submission_id: str) -> str:
        machine = self.resources.state_machine_arn or ""
        return machine.replace(":stateMachine:", ":execution:") + f":{submission_id}"

    def execution_status(self, submission_id: str) -> str | None:
        try:
            out = self.resources.sfn.describe_execution(
                executionArn=self.execution_arn(submission_id)
            )
        except self.resources.sfn.exceptions.ExecutionDoesNotExist:
            return None
        return str(out["status"])

    def execution_states(self, submission_id: str) -> list[str]:
        """Names of the states entered so far, in order (for progress display)."""
        sfn = self.resources.sfn
        try:
            out = sfn.get_execution_history(
                executionArn=self.execution_arn(submission_id), maxResults=1000
            )
        except sfn.exceptions.ExecutionDoesNotExist:
            return []
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in out["events"]
            if "stateEnteredEventDetails" in e
        ]


__all__ = ["FINAL_EXECUTION_STATES", "LocalLambdaContext", "LocalStack"]
