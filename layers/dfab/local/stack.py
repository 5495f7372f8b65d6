"""`LocalStack`: moto in-process, the deployed state machine, handlers and sandbox tasks."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from moto import mock_aws

from dfab import lambda_runtime
from dfab.local.aws_router import LocalAwsRouter
from dfab.local.handlers import LocalLambdaContext, load_handler
from dfab.local.project import project_root
from dfab.local.template import ACCOUNT, read_flow
from dfab.settings import Settings
from dfab.storage.resources import Resources
from dfab.storage.tables import ALL_TABLES, BEST_SCORES, SUBMISSIONS

TaskFunction = Callable[[Mapping[str, str]], int]
FINAL_EXECUTION_STATES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


def _default_task_function(env: Mapping[str, str]) -> int:
    from dfab.supervisor import run_task_from_environment

    return run_task_from_environment(env)


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
        storage = settings.storage
        self.resources = Resources(
            region=storage.region,
            bucket=storage.bucket,
            submissions_table=storage.submissions_table,
            best_scores_table=storage.best_scores_table,
        )
        self._task_function = task_function or _default_task_function
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._saved_env: dict[str, str | None] = {}
        self.router: LocalAwsRouter | None = None

    # ------------------------------------------------------------------ lifecycle
    def _set_env(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def __enter__(self) -> LocalStack:
        self._mock.start()
        try:
            self._start()
        except BaseException:
            self._mock.stop()
            raise
        return self

    def _start(self) -> None:
        region = self.resources.region
        self._set_env(
            {
                "AWS_DEFAULT_REGION": region,
                "AWS_REGION": region,
                "POWERTOOLS_SERVICE_NAME": "dfab",
                "POWERTOOLS_LOG_LEVEL": os.environ.get("DFAB_LOG_LEVEL", "ERROR"),
                "POWERTOOLS_METRICS_NAMESPACE": "dfab-local",
            }
        )
        boto3.setup_default_session(region_name=region)
        flow = read_flow(self.root, region)
        handlers = {lid: load_handler(spec) for lid, spec in flow.functions.items()}
        self.router = LocalAwsRouter(handlers, self._task_function, region)
        self.router.install(boto3.DEFAULT_SESSION.events)  # type: ignore[union-attr]

        res = self.resources
        if region == "us-east-1":
            res.s3.create_bucket(Bucket=res.bucket)
        else:
            res.s3.create_bucket(
                Bucket=res.bucket, CreateBucketConfiguration={"LocationConstraint": region}
            )
        names = {
            SUBMISSIONS.logical_id: res.submissions_table,
            BEST_SCORES.logical_id: res.best_scores_table,
        }
        for spec in ALL_TABLES:
            res.dynamodb.create_table(**spec.create_kwargs(names.get(spec.logical_id)))
        machine = res.sfn.create_state_machine(
            name=f"dfab-{flow.state_machine_id}",
            definition=flow.definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/dfab-local-state-machine",
        )
        res.state_machine_arn = machine["stateMachineArn"]
        self._set_env(res.environment())
        lambda_runtime.reset(self.settings)

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
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

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
        s3_event = {
            "Records": [
                {
                    "eventSource": "aws:s3",
                    "eventName": "ObjectCreated:Post",
                    "s3": {
                        "bucket": {"name": self.resources.bucket},
                        "object": {"key": key.replace(" ", "+")},
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
