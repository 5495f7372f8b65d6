"""What every Lambda handler shares: logger, settings and resources, built once.

Handlers stay thin adapters: parse the event, call one pipeline step, return.
"""

from __future__ import annotations

import os
from functools import lru_cache

from aws_lambda_powertools import Logger

from dfab.settings import Settings, load_deployed_settings
from dfab.storage.resources import Resources

logger = Logger(service="dfab")


_override: Settings | None = None


@lru_cache(maxsize=1)
def settings() -> Settings:
    return _override if _override is not None else load_deployed_settings()


@lru_cache(maxsize=1)
def resources() -> Resources:
    return Resources.from_environment(settings())


def reset(use_settings: Settings | None = None) -> None:
    """Forget cached settings and resources; the local stack passes its own settings."""
    global _override
    _override = use_settings
    logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"))
    settings.cache_clear()
    resources.cache_clear()
