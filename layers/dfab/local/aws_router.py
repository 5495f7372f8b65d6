"""Route Lambda and ECS calls to in-process handlers and the local sandbox runner.

moto executes the deployed state machine definition itself; its task states call
`lambda:Invoke` and `ecs:RunTask`/`DescribeTasks` through boto3 clients of the default
session. This router answers those calls through botocore's public event hooks
(`before-parameter-build.*`, `before-call.*`), so nothing else changes: the same
definition, the same handlers, the same sandbox task code.
"""

from __future__ import annotations

import io
import json
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody

from dfab.local.handlers import Handler, LocalLambdaContext
from dfab.local.template import ACCOUNT

TaskFunction = Callable[[Mapping[str, str]], int]
_PARAMS = "dfab_params"


def _response(parsed: dict[str, Any], status: int = 200) -> tuple[AWSResponse, dict[str, Any]]:
    parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": status})
    return AWSResponse("http://local.invalid/", status, {}, None), parsed


def _camel_keys(value: Any) -> Any:
    """ASL passes ECS parameters in PascalCase; the ECS API model wants camelCase."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_keys(v) for v in value]
    return value


def _both_cases(value: Any) -> Any:
    """moto reads ECS results both as `tasks[0].lastStatus` and `Tasks[0].TaskArn`."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out[k] = _both_cases(v)
            out[k[:1].upper() + k[1:]] = out[k]
        return out
    if isinstance(value, list):
        return [_both_cases(v) for v in value]
    return value


class LocalAwsRouter:
    """Answers lambda:Invoke and ecs:RunTask/DescribeTasks/StopTask in-process."""

    def __init__(
        self,
        functions: dict[str, Handler],
        task_function: TaskFunction,
        region: str,
        max_tasks: int = 2,
    ) -> None:
        self._functions = functions
        self._task_function = task_function
        self._region = region
        self._pool = ThreadPoolExecutor(max_workers=max_tasks, thread_name_prefix="dfab-task")
        self._tasks: dict[str, Future[int]] = {}
        self._lock = threading.Lock()
        self.invocations: list[str] = []

    # ------------------------------------------------------------------ wiring
    def install(self, events: Any) -> None:
        """Register on a session's (or client's) event emitter."""
        events.register("before-parameter-build.lambda.Invoke", self._remember_params)
        events.register("before-parameter-build.ecs.*", self._adapt_ecs_params)
        events.register("before-call.lambda.Invoke", self._invoke)
        events.register("before-call.ecs.RunTask", self._run_task)
        events.register("before-call.ecs.DescribeTasks", self._describe_tasks)
        events.register("before-call.ecs.StopTask", self._stop_task)

    def close(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    @staticmethod
    def _remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = dict(params)

    @staticmethod
    def _adapt_ecs_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        adapted = _camel_keys(params)
        params.clear()
        params.update(adapted)
        context[_PARAMS] = dict(adapted)

    # ------------------------------------------------------------------ lambda
    def _invoke(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        params = context.get(_PARAMS, {})
        name = str(params.get("FunctionName", "")).rsplit(":", 1)[-1]
        handler = self._functions.get(name)
        if handler is None:
            raise KeyError(f"no local handler for Lambda function {name!r}")
        raw = params.get("Payload") or b"{}"
        event = json.loads(raw.decode() if isinstance(raw, bytes | bytearray) else raw)
        self.invocations.append(name)
        ctx = LocalLambdaContext(
            function_name=name,
            invoked_function_arn=f"arn:aws:lambda:{self._region}:{ACCOUNT}:function:{name}",
        )
        parsed: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
        try:
            payload: Any = handler(event, ctx)
        except Exception as exc:  # the Lambda runtime's contract: report, don't raise
            payload = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_exception(exc)[-8:],
            }
            parsed["FunctionError"] = "Unhandled"
        body = json.dumps(payload).encode()
        parsed["Payload"] = StreamingBody(io.BytesIO(body), len(body))
        return _response(parsed)

    # ------------------------------------------------------------------ ecs
    def _task_doc(self, arn: str, cluster: str) -> dict[str, Any]:
        future = self._tasks[arn]
        doc: dict[str, Any] = {"taskArn": arn, "clusterArn": cluster, "launchType": "FARGATE"}
        if not future.done():
            doc.update(lastStatus="RUNNING", desiredStatus="RUNNING")
            doc["containers"] = [{"name": "sandbox", "lastStatus": "RUNNING"}]
            return doc
        exc = future.exception()
        code = 1 if exc is not None else int(future.result())
        doc.update(
            lastStatus="STOPPED",
            desiredStatus="STOPPED",
            stopCode="EssentialContainerExited",
            stoppedReason="Essential container in task exited"
            if exc is None
            else f"task error: {exc}",
        )
        doc["containers"] = [{"name": "sandbox", "lastStatus": "STOPPED", "exitCode": code}]
        return doc

    def _run_task(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        params = context.get(_PARAMS, {})
        cluster = str(params.get("cluster", f"arn:aws:ecs:{self._region}:{ACCOUNT}:cluster/local"))
        env: dict[str, str] = {}
        for override in (params.get("overrides") or {}).get("containerOverrides", []):
            for pair in override.get("environment", []):
                env[str(pair["name"])] = str(pair["value"])
        arn = f"arn:aws:ecs:{self._region}:{ACCOUNT}:task/local/{uuid.uuid4().hex}"
        with self._lock:
            self._tasks[arn] = self._pool.submit(self._task_function, env)
        return _response(_both_cases({"tasks": [self._task_doc(arn, cluster)], "failures": []}))

    def _describe_tasks(
        self, context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]]:
        params = context.get(_PARAMS, {})
        cluster = str(params.get("cluster", ""))
        tasks = [self._task_doc(a, cluster) for a in params.get("tasks", []) if a in self._tasks]
        return _response(_both_cases({"tasks": tasks, "failures": []}))

    def _stop_task(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        # A running sandbox task is bounded by its own wall timeout; report it stopping.
        params = context.get(_PARAMS, {})
        arn = str(params.get("task", ""))
        doc = self._task_doc(arn, str(params.get("cluster", ""))) if arn in self._tasks else {}
        return _response(_both_cases({"task": doc}))
