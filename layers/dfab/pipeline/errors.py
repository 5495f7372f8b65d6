"""How a step fails the submission: an exception whose message is the reason as JSON.

Step Functions sees a Lambda error `StageFailed` with the reason in `errorMessage`;
the state machine's Catch hands it to MarkFailed, which records it verbatim.
"""

from __future__ import annotations

import json
from typing import Any

from dfab.contracts.reasons import Reason, ReasonClass

STAGE_FAILED = "StageFailed"


class StageFailed(Exception):
    """A step decided the submission has FAILED, for a reason the miner should read."""

    def __init__(self, reason_class: ReasonClass, message: str) -> None:
        self.reason = Reason(reason_class=reason_class, message=message)
        super().__init__(json.dumps(self.reason.dump()))


def reason_from_caught_error(error: dict[str, Any] | None) -> Reason:
    """Turn the `$.error` a Catch recorded (`{"Error": ..., "Cause": ...}`) into a Reason."""
    if not error:
        return Reason(reason_class=ReasonClass.INTERNAL, message="the evaluation failed")
    name = str(error.get("Error", "States.Runtime"))
    cause_text = str(error.get("Cause", ""))
    cause: Any = None
    try:
        cause = json.loads(cause_text)
    except (json.JSONDecodeError, TypeError):
        cause = None
    if name == STAGE_FAILED and isinstance(cause, dict):
        try:
            return Reason.model_validate(json.loads(cause.get("errorMessage", "")))
        except (ValueError, TypeError):
            pass
    if name == "States.Timeout":
        return Reason(
            reason_class=ReasonClass.HARNESS_TIMEOUT,
            message="a sandbox task ran past its state timeout and was stopped",
        )
    detail = cause.get("errorMessage") if isinstance(cause, dict) else cause_text
    detail = (str(detail) or "no detail")[:1500]
    return Reason(
        reason_class=ReasonClass.INTERNAL,
        message=f"evaluation step failed with {name}: {detail}",
    )
