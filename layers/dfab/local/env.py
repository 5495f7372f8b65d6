"""Temporary environment variables for a local stack, restored exactly on exit.

The handlers read resource names and AWS settings from the environment, as on
Lambda; a local stack sets them for its lifetime only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping


class EnvOverlay:
    """Set and unset variables; `restore()` puts back what was there before."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def _remember(self, key: str) -> None:
        self._saved.setdefault(key, os.environ.get(key))

    def set(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            self._remember(key)
            os.environ[key] = value

    def unset(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._remember(key)
            os.environ.pop(key, None)

    def restore(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()


def lambda_like_environment(region: str) -> dict[str, str]:
    """What the Lambda runtime and template.yaml's Globals give every function."""
    return {
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "POWERTOOLS_SERVICE_NAME": "dfab",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("DFAB_LOG_LEVEL", "ERROR"),
        "POWERTOOLS_METRICS_NAMESPACE": "dfab-local",
    }
