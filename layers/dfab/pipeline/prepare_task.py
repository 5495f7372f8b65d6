"""Prepare a sandbox task (generation or verification) for the state machine.

The sandbox task has no AWS role, so this step presigns every URL it needs and
hands the task a single envelope URL through the ECS container overrides.
"""

from __future__ import annotations

import contextlib
import random
from typing import Any, Literal

from dfab.contracts.reasons import ReasonClass
from dfab.contracts.submission import SubmissionStatus
from dfab.pipeline.errors import StageFailed
from dfab.pipeline.seeds import derive_seed
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.resources import Resources
from dfab.storage.submissions import TransitionRefused, get_submission, transition
from dfab.supervisor import prepare_task

Stage = Literal["generate", "verify"]


def choose_verification_sample(submission_id: str, ids: list[str], size: int) -> list[str]:
    """A seeded sample (seed = submission id): every validator checks the same lines."""
    pool = sorted(ids)
    rng = random.Random(derive_seed(submission_id, "verification"))
    return sorted(rng.sample(pool, min(size, len(pool))))


def prepare_stage(res: Resources, settings: Settings, submission_id: str, stage: Stage) -> dict:
    record = get_submission(res, submission_id)
    if record.seed is None:
        raise StageFailed(
            ReasonClass.INTERNAL, f"submission {submission_id} has no seed; was it validated?"
        )
    fmt = "tar.gz" if record.archive_key.endswith(".tar.gz") else "zip"
    if stage == "generate":
        # A retried step finds the status already at or past GENERATING.
        with contextlib.suppress(TransitionRefused):
            transition(res, submission_id, SubmissionStatus.GENERATING)
        out = prepare_task(
            res.s3,
            res.bucket,
            submission_id,
            "generate",
            archive_key=record.archive_key,
            archive_format=fmt,
            settings=settings,
            seed=record.seed,
        )
        return {"run": True, **out}
    summary: dict[str, Any] = objects.get_json(res, keys.parse_summary_key(submission_id)) or {}
    verifiable = list(summary.get("verifiable_ids", []))
    sample = choose_verification_sample(
        submission_id, verifiable, settings.verification.sample_size
    )
    if not sample:
        return {"run": False, "overrides": {}, "timeout_s": 60, "sample": []}
    out = prepare_task(
        res.s3,
        res.bucket,
        submission_id,
        "verify",
        archive_key=record.archive_key,
        archive_format=fmt,
        settings=settings,
        seed=record.seed,
        sample_ids=sample,
    )
    return {"run": True, **out, "sample": sample}
