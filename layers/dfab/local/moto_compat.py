"""Two targeted fixes for moto, applied by the local stacks (`dfab evaluate`, `dfab serve`).

1. moto 5.2's `start_execution` deep-copies the state machine, and with it every past
   execution of that machine; an execution that has run holds its worker's locks, so the
   second execution of a machine fails with "cannot pickle '_thread.RLock' object". A past
   execution never changes because of a new one, so the clone may share them: copying an
   `Execution` returns the same object.
2. DynamoDB checks a write's condition and applies the write as one atomic step per item;
   moto does it in two Python steps, so concurrent writers (the originality index writes
   from a thread pool, the server answers requests on threads) can interleave and break a
   guarantee the code relies on: a capped set ran over its cap in 32 of 300 tries. One
   lock around moto's item writes restores it; reads stay concurrent.

Nothing else in moto's behaviour changes.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_applied: set[str] = set()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def share_past_executions_on_clone() -> None:
    """Idempotent; safe to call from every stack and server start."""
    if "executions" in _applied:
        return
    from moto.stepfunctions.parser.backend.execution import Execution

    def _same(self: Any, memo: dict[int, Any]) -> Any:
        return self

    Execution.__deepcopy__ = _same  # type: ignore[attr-defined]
    _applied.add("executions")


def atomic_item_writes() -> None:
    """Make moto's DynamoDB item writes atomic, as DynamoDB's are. Idempotent."""
    if "writes" in _applied:
        return
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()

    def locked(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def write(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return write

    for name in _WRITES:
        setattr(DynamoDBBackend, name, locked(getattr(DynamoDBBackend, name)))
    _applied.add("writes")


def apply_moto_fixes() -> None:
    """Both fixes; every local stack and server calls this before it starts moto."""
    share_past_executions_on_clone()
    atomic_item_writes()
