"""How caught state-machine errors become a submission's FAILED reason."""

from __future__ import annotations

import json

from dfab.contracts.reasons import ReasonClass
from dfab.pipeline.errors import StageFailed, reason_from_caught_error
from dfab.pipeline.seeds import derive_seed, generation_seed
from dfab.settings import Settings


def _lambda_error(exc: Exception) -> dict[str, str]:
    """What Step Functions records when a Lambda raises `exc`."""
    payload = {"errorType": type(exc).__name__, "errorMessage": str(exc), "stackTrace": []}
    return {"Error": type(exc).__name__, "Cause": json.dumps(payload)}


def test_stage_failed_reason_survives_the_round_trip() -> None:
    exc = StageFailed(ReasonClass.HARNESS_EXIT, "exit code 3: Traceback ...")
    reason = reason_from_caught_error(_lambda_error(exc))
    assert reason.reason_class == ReasonClass.HARNESS_EXIT
    assert reason.message == "exit code 3: Traceback ..."


def test_unexpected_lambda_error_is_internal_with_detail() -> None:
    reason = reason_from_caught_error(_lambda_error(KeyError("boom")))
    assert reason.reason_class == ReasonClass.INTERNAL
    assert "KeyError" in reason.message and "boom" in reason.message


def test_state_timeout_is_a_harness_timeout() -> None:
    reason = reason_from_caught_error({"Error": "States.Timeout", "Cause": ""})
    assert reason.reason_class == ReasonClass.HARNESS_TIMEOUT


def test_missing_error_still_gives_a_reason() -> None:
    assert reason_from_caught_error(None).reason_class == ReasonClass.INTERNAL
    garbage = reason_from_caught_error({"Error": "StageFailed", "Cause": "not json"})
    assert garbage.reason_class == ReasonClass.INTERNAL


def test_seeds_are_deterministic_per_submission_and_purpose() -> None:
    assert derive_seed("a", "generation") == derive_seed("a", "generation")
    assert derive_seed("a", "generation") != derive_seed("b", "generation")
    assert derive_seed("a", "generation") != derive_seed("a", "verification")
    assert 0 <= derive_seed("a", "x") < 2**63
    fixed = Settings.model_validate({"generation": {"seed": 42}})
    assert generation_seed("a", fixed) == 42
