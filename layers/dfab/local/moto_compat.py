"""One targeted fix for moto's Step Functions interpreter, applied by the local stack.

moto 5.2's `start_execution` deep-copies the state machine, and with it every past
execution of that machine; an execution that has run holds its worker's locks, so the
second execution of a machine fails with "cannot pickle '_thread.RLock' object". A past
execution never changes because of a new one, so the clone may share them: copying an
`Execution` returns the same object. Nothing else in moto's behaviour changes.
"""

from __future__ import annotations

from typing import Any

_applied = False


def share_past_executions_on_clone() -> None:
    """Idempotent; safe to call from every stack and server start."""
    global _applied
    if _applied:
        return
    from moto.stepfunctions.parser.backend.execution import Execution

    def _same(self: Any, memo: dict[int, Any]) -> Any:
        return self

    Execution.__deepcopy__ = _same  # type: ignore[attr-defined]
    _applied = True
