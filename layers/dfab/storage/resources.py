"""The AWS resources a step works with, resolved once from the environment or settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config

from dfab.settings import Settings
from dfab.storage.tables import BEST_SCORES, SUBMISSIONS

BUCKET_ENV = "DFAB_BUCKET"
STATE_MACHINE_ENV = "DFAB_STATE_MACHINE_ARN"
REGION_ENV = "AWS_REGION"


@dataclass
class Resources:
    """Names of the bucket, tables and state machine, plus lazily created clients.

    Clients come from `boto3.client`, i.e. the default session: on one machine that
    is the session moto intercepts, on AWS the Lambda's role.
    """

    region: str
    bucket: str
    submissions_table: str
    best_scores_table: str
    state_machine_arn: str | None = None

    @classmethod
    def from_environment(cls, settings: Settings | None = None) -> Resources:
        """Lambda handlers: names from environment variables set by template.yaml."""
        storage = (settings or Settings()).storage
        return cls(
            region=os.environ.get(REGION_ENV) or storage.region,
            bucket=os.environ.get(BUCKET_ENV) or storage.bucket,
            submissions_table=os.environ.get(SUBMISSIONS.env_var) or storage.submissions_table,
            best_scores_table=os.environ.get(BEST_SCORES.env_var) or storage.best_scores_table,
            state_machine_arn=os.environ.get(STATE_MACHINE_ENV),
        )

    def environment(self) -> dict[str, str]:
        """The environment variables that make `from_environment` return these names."""
        env = {
            REGION_ENV: self.region,
            BUCKET_ENV: self.bucket,
            SUBMISSIONS.env_var: self.submissions_table,
            BEST_SCORES.env_var: self.best_scores_table,
        }
        if self.state_machine_arn:
            env[STATE_MACHINE_ENV] = self.state_machine_arn
        return env

    def _client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region)  # type: ignore[call-overload]

    @cached_property
    def s3(self) -> Any:
        # SigV4 explicitly: presigned URLs handed to the sandbox task must be v4-signed.
        return boto3.client("s3", region_name=self.region, config=Config(signature_version="s3v4"))

    @cached_property
    def dynamodb(self) -> Any:
        return self._client("dynamodb")

    @cached_property
    def sfn(self) -> Any:
        return self._client("stepfunctions")
