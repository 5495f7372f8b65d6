"""A tiny time-to-live cache, one per API container.

`GET /health` reads up to a day of status changes; validators and uptime checks poll it.
A container answers from the report it computed a few seconds ago instead of reading
everything again for every poll (`api.health_cache_s`; 0 turns caching off).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class TtlCache:
    """Values by key, each kept `ttl_s` seconds from when it was computed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, object]] = {}

    def get_or_compute(self, key: str, ttl_s: float, compute: Callable[[], T]) -> T:
        """The fresh cached value of `key`, else `compute()` (stored unless `ttl_s` is 0)."""
        if ttl_s <= 0:
            return compute()
        now = self._clock()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._entries[key] = (now + ttl_s, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
