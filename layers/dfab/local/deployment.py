"""The deployed flow wired into this process, the same for both local stacks.

`LocalStack` (`dfab evaluate`, moto in-process) and `LocalServer` (`dfab serve`, moto on
loopback) differ in where moto runs and what faces the caller, not in what is deployed:
the resources `settings.storage` names, template.yaml's functions answering the Lambda
and ECS calls, and the resources the template declares. Building that in one place keeps
the two stacks from drifting apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import boto3

from dfab import lambda_runtime
from dfab.local.aws_router import LocalAwsRouter, TaskFunction
from dfab.local.env import EnvOverlay
from dfab.local.handlers import Handler, load_handler
from dfab.local.provision import provision
from dfab.local.template import read_flow
from dfab.settings import Settings
from dfab.storage.resources import Resources


def run_supervisor_task(env: Mapping[str, str]) -> int:
    """The default sandbox task: the supervisor, as the deployed ECS task runs it.

    Imported when a task runs, so building a stack does not load the sandbox code.
    """
    from dfab.supervisor import run_task_from_environment

    return run_task_from_environment(env)


def named_resources(settings: Settings) -> Resources:
    """The resources `settings.storage` names; `deploy_flow` adds the state machine."""
    storage = settings.storage
    return Resources(
        region=storage.region,
        bucket=storage.bucket,
        submissions_table=storage.submissions_table,
        best_scores_table=storage.best_scores_table,
    )


@dataclass(frozen=True, slots=True)
class LocalDeployment:
    """The deployed functions by logical id, and the router that answers calls to them."""

    handlers: dict[str, Handler]
    router: LocalAwsRouter


def deploy_flow(
    settings: Settings,
    resources: Resources,
    root: Path,
    task_function: TaskFunction,
    env: EnvOverlay,
) -> LocalDeployment:
    """Deploy template.yaml's flow on moto, with its functions answered in-process.

    Call with moto running and the Lambda-like environment set. Replaces the default
    boto3 session (the one the router's hooks and moto's interpreter use), creates the
    resources, sets the handlers' environment in `env` and the runtime's settings. If
    that fails the router is closed (`wait=False`) before the error propagates, since
    the caller never receives it.
    """
    region = resources.region
    boto3.setup_default_session(region_name=region)
    flow = read_flow(root, region)
    handlers = {lid: load_handler(spec) for lid, spec in flow.functions.items()}
    router = LocalAwsRouter(handlers, task_function, region)
    try:
        router.install(boto3.DEFAULT_SESSION.events)  # type: ignore[union-attr]
        env.set(provision(resources, flow))
        lambda_runtime.reset(settings)
    except BaseException:
        router.close(wait=False)
        raise
    return LocalDeployment(handlers=handlers, router=router)
