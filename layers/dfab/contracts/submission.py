"""Submission records and their status timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from dfab.contracts.reasons import Reason


class SubmissionStatus(StrEnum):
    PENDING_UPLOAD = "PENDING_UPLOAD"
    VALIDATING = "VALIDATING"
    REJECTED = "REJECTED"
    QUEUED = "QUEUED"
    GENERATING = "GENERATING"
    SCORING = "SCORING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def rank(self) -> int:
        """Position in the lifecycle; a status may only move to a higher rank."""
        return _RANK[self]


TERMINAL_STATUSES = frozenset(
    {SubmissionStatus.REJECTED, SubmissionStatus.COMPLETED, SubmissionStatus.FAILED}
)
_RANK = {
    SubmissionStatus.PENDING_UPLOAD: 0,
    SubmissionStatus.VALIDATING: 1,
    SubmissionStatus.QUEUED: 2,
    SubmissionStatus.GENERATING: 3,
    SubmissionStatus.SCORING: 4,
    SubmissionStatus.REJECTED: 9,
    SubmissionStatus.COMPLETED: 9,
    SubmissionStatus.FAILED: 9,
}


def utc_now() -> str:
    """Timestamps are ISO 8601 UTC with a `Z`, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StatusEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: SubmissionStatus
    at: str
    reason: Reason | None = None


class SubmissionRecord(BaseModel):
    """What the submissions table holds for one submission."""

    submission_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")
    hotkey: str
    status: SubmissionStatus
    created_at: str
    updated_at: str
    archive_key: str
    archive_sha256: str | None = None
    archive_size: int | None = None
    harness_name: str | None = None
    harness_version: str | None = None
    seed: int | None = None
    timeline: list[StatusEvent] = Field(default_factory=list)
    reason: Reason | None = None
    score: float | None = None
    report_key: str | None = None
    scorer_version: str | None = None
    config_hash: str | None = None
    completed_at: str | None = None


def new_submission_id() -> str:
    """Time-ordered, unguessable, and valid as a Step Functions execution name."""
    import secrets

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{secrets.token_hex(6)}"
