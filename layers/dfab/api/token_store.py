"""Where the authorizer finds the token-hash list: one SSM parameter, re-read often.

The parameter (String or SecureString) is named by `DFAB_WEIGHTS_TOKEN_PARAMETER`;
template.yaml creates it and grants the authorizer `ssm:GetParameter` on it alone.
The list is kept for `DFAB_WEIGHTS_TOKEN_CACHE_S` seconds (default 30) per container,
so an edit takes effect within that time plus API Gateway's authorizer cache TTL,
with no deployment.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from dfab.api.auth import parse_token_hashes

PARAMETER_ENV = "DFAB_WEIGHTS_TOKEN_PARAMETER"
CACHE_ENV = "DFAB_WEIGHTS_TOKEN_CACHE_S"
DEFAULT_CACHE_S = 30.0


class TokenStoreUnavailable(RuntimeError):
    """No parameter is configured; the authorizer cannot admit anyone."""


class TokenHashStore:
    """The hash list of one SSM parameter, cached for `cache_s` seconds."""

    def __init__(
        self,
        parameter: str,
        ssm: Callable[[], Any],
        *,
        cache_s: float = DEFAULT_CACHE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.parameter = parameter
        self._ssm = ssm
        self._cache_s = cache_s
        self._clock = clock
        self._lock = threading.Lock()
        self._hashes: frozenset[str] | None = None
        self._read_at = 0.0

    @classmethod
    def from_environment(cls) -> TokenHashStore:
        name = os.environ.get(PARAMETER_ENV)
        if not name:
            raise TokenStoreUnavailable(f"{PARAMETER_ENV} is not set")
        cache_s = float(os.environ.get(CACHE_ENV) or DEFAULT_CACHE_S)

        def client() -> Any:
            import boto3

            return boto3.client("ssm")

        return cls(name, client, cache_s=cache_s)

    def hashes(self) -> frozenset[str]:
        """The current list: from the cache while fresh, else read again (and checked)."""
        with self._lock:
            now = self._clock()
            if self._hashes is None or now - self._read_at >= self._cache_s:
                out = self._ssm().get_parameter(Name=self.parameter, WithDecryption=True)
                self._hashes = parse_token_hashes(out["Parameter"]["Value"])
                self._read_at = now
            return self._hashes

    def forget(self) -> None:
        """Drop the cached list; the next call reads the parameter again."""
        with self._lock:
            self._hashes = None
