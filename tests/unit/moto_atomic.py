"""A fixture giving moto DynamoDB's per-item write atomicity, for thread-race tests.

DynamoDB evaluates a condition and applies the write as one atomic step per item. moto
checks the condition and then writes in two Python steps, so threads can interleave
between them and lose an update DynamoDB never loses (the best-score race test failed
about one run in ten on moto alone, with or without our code). One lock around moto's
item writes restores the guarantee the code under test relies on; the threads still
race through our logic and through every read.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


@pytest.fixture
def atomic_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()

    def locked(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return wrapper

    for name in _WRITES:
        monkeypatch.setattr(DynamoDBBackend, name, locked(getattr(DynamoDBBackend, name)))
    yield
