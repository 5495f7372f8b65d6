"""What route handlers work with, built once per Lambda container (or local server).

Routes read it from the resolver context (`router.context["services"]`), so tests can
hand the real resolver services wired to moto, a fake clock or tight limits.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import boto3

from dfab.api.cache import TtlCache
from dfab.api.ranking import RankingCache
from dfab.api.settings import ApiSettings, api_settings
from dfab.intake.admission import Intake
from dfab.intake.settings import intake_settings
from dfab.intake.tables import NONCES, table_name
from dfab.settings import Settings
from dfab.storage.resources import Resources

#: Queue URLs template.yaml gives the API function (GET /health reads their depth).
UPLOADS_QUEUE_ENV = "DFAB_UPLOADS_QUEUE_URL"
DEAD_LETTER_QUEUE_ENV = "DFAB_UPLOADS_DLQ_URL"
#: The stack's ConfigRevision parameter (every function has it): shown by GET /health.
CONFIG_REVISION_ENV = "DFAB_CONFIG_REVISION"


@dataclass(frozen=True)
class QueueUrls:
    """The upload queue and its dead-letter queue, when this deployment has them."""

    uploads: str | None = None
    dead_letter: str | None = None

    @classmethod
    def from_environment(cls) -> QueueUrls:
        return cls(
            uploads=os.environ.get(UPLOADS_QUEUE_ENV) or None,
            dead_letter=os.environ.get(DEAD_LETTER_QUEUE_ENV) or None,
        )


@dataclass
class ApiServices:
    settings: Settings
    resources: Resources
    intake: Intake
    api: ApiSettings = field(default_factory=ApiSettings)
    queues: QueueUrls = field(default_factory=QueueUrls)
    config_revision: str | None = None
    #: Wall clock (epoch seconds): the windows of GET /health, `generated_at` stamps.
    clock: Callable[[], float] = time.time
    cache: TtlCache = field(default_factory=TtlCache)
    ranking: RankingCache = field(default_factory=RankingCache)

    @classmethod
    def build(cls, settings: Settings, resources: Resources) -> ApiServices:
        """Deployed or local: table and queue names from the environment template.yaml sets."""
        intake = Intake(
            resources=resources,
            settings=settings,
            config=intake_settings(settings),
            nonces_table=table_name(NONCES),
        )
        return cls(
            settings=settings,
            resources=resources,
            intake=intake,
            api=api_settings(settings),
            queues=QueueUrls.from_environment(),
            config_revision=os.environ.get(CONFIG_REVISION_ENV) or None,
        )

    @cached_property
    def sqs(self) -> Any:
        return boto3.client("sqs", region_name=self.resources.region)  # type: ignore[call-overload]
