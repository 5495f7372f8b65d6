"""Response bodies of the API, as pydantic models (they also document the OpenAPI)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from dfab.contracts.submission import SubmissionRecord, SubmissionStatus
from dfab.intake.presign import UploadForm


class UploadFormView(BaseModel):
    """A presigned POST: send `fields` plus the archive as the form field `file`."""

    method: str = "POST"
    url: str
    fields: dict[str, str]
    key: str
    expires_at: str
    size: int = Field(description="The upload must be exactly this many bytes.")

    @classmethod
    def of(cls, form: UploadForm) -> UploadFormView:
        return cls(
            url=form.url,
            fields=form.fields,
            key=form.key,
            expires_at=form.expires_at,
            size=form.size,
        )


class SubmitResponse(BaseModel):
    submission_id: str
    status: SubmissionStatus
    upload: UploadFormView
    status_path: str = Field(description="GET this path to follow the submission.")


class StatusEventView(BaseModel):
    status: SubmissionStatus
    at: str
    reason: dict[str, str] | None = None


class SubmissionView(BaseModel):
    """`GET /submissions/{id}`: where a submission is, how it got there, and its report."""

    submission_id: str
    hotkey: str
    status: SubmissionStatus
    final: bool
    created_at: str
    updated_at: str
    archive: dict[str, Any]
    harness: dict[str, str] | None = None
    timeline: list[StatusEventView]
    reason: dict[str, str] | None = None
    score: float | None = None
    completed_at: str | None = None
    report: dict[str, Any] | None = Field(
        None, description="The score report (CONTRACTS.md §6), once the status is final."
    )

    @classmethod
    def of(cls, record: SubmissionRecord, report: dict[str, Any] | None) -> SubmissionView:
        harness = (
            {"name": record.harness_name, "version": record.harness_version or ""}
            if record.harness_name
            else None
        )
        return cls(
            submission_id=record.submission_id,
            hotkey=record.hotkey,
            status=record.status,
            final=record.status.terminal,
            created_at=record.created_at,
            updated_at=record.updated_at,
            archive={"sha256": record.archive_sha256, "size": record.archive_size},
            harness=harness,
            timeline=[
                StatusEventView(
                    status=e.status, at=e.at, reason=e.reason.dump() if e.reason else None
                )
                for e in record.timeline
            ],
            reason=record.reason.dump() if record.reason else None,
            score=record.score,
            completed_at=record.completed_at,
            report=report,
        )


# -- results: leaderboard, miners ---------------------------------------------------------


class LeaderboardEntry(BaseModel):
    rank: int = Field(ge=1, description="Position in this listing (1 = best).")
    hotkey: str
    score: float = Field(ge=0, le=1)
    submission_id: str = Field(description="The evaluation that set this best score.")
    completed_at: str
    scorer_version: str


class LeaderboardPage(BaseModel):
    """`GET /leaderboard`: best completed scores, highest first, a page at a time."""

    scorer_version: str = Field(description="The scorer this deployment runs now.")
    generated_at: str
    entries: list[LeaderboardEntry]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page."
    )


class BestScoreView(BaseModel):
    score: float = Field(ge=0, le=1)
    submission_id: str
    completed_at: str
    scorer_version: str


class MinerSubmissionView(BaseModel):
    submission_id: str
    status: SubmissionStatus
    final: bool
    created_at: str
    updated_at: str
    harness: dict[str, str] | None = None
    score: float | None = None
    completed_at: str | None = None
    reason: dict[str, str] | None = None

    @classmethod
    def of(cls, doc: dict[str, Any]) -> MinerSubmissionView:
        status = SubmissionStatus(doc["status"])
        reason = doc.get("reason")
        return cls(
            submission_id=doc["submission_id"],
            status=status,
            final=status.terminal,
            created_at=doc["created_at"],
            updated_at=doc["updated_at"],
            harness=(
                {"name": doc["harness_name"], "version": doc.get("harness_version") or ""}
                if doc.get("harness_name")
                else None
            ),
            score=doc.get("score"),
            completed_at=doc.get("completed_at"),
            reason={str(k): str(v) for k, v in reason.items()} if reason else None,
        )


class MinerView(BaseModel):
    """`GET /miners/{hotkey}`: the miner's best score and its submissions, newest first."""

    hotkey: str
    best: BestScoreView | None = Field(
        None, description="Best completed evaluation; null when none completed yet."
    )
    submissions: list[MinerSubmissionView]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for older submissions; null on the last page."
    )


# -- operations: ping, health -------------------------------------------------------------


class PingView(BaseModel):
    """`GET /ping`: the API answers (touches no storage)."""

    ok: bool = True
    version: str


class WindowView(BaseModel):
    """What moved to each status within a window (by each submission's last change)."""

    since: str
    counts: dict[str, int] = Field(description="Status -> submissions now in it, changed since.")
    failures: dict[str, dict[str, int]] = Field(
        description="FAILED / REJECTED -> reason class -> submissions."
    )


class StageView(BaseModel):
    count: int = Field(description="Finished submissions in the sample that went through it.")
    p50_s: float | None = None
    p95_s: float | None = None
    max_s: float | None = None


class QueueView(BaseModel):
    visible: int = Field(description="Messages waiting (ApproximateNumberOfMessages).")
    in_flight: int = Field(description="Received, not yet deleted (...NotVisible).")
    delayed: int = 0


class ExecutionsView(BaseModel):
    running: int | None = Field(None, description="RUNNING executions; null if unknown.")
    capped: bool = Field(False, description="More are running than were counted.")


class VersionsView(BaseModel):
    dfab: str
    scorer: str
    config_hash: str = Field(description="Hash of every setting that can move a score.")
    config_revision: str | None = Field(
        None, description="The stack's ConfigRevision parameter (null locally)."
    )


class HealthView(BaseModel):
    """`GET /health`: is evaluation flowing, how fast, and what is failing."""

    generated_at: str
    versions: VersionsView
    last_hour: WindowView
    last_day: WindowView
    truncated: bool = Field(
        description="A status had more changes in the last day than one request reads "
        "(api.health_max_items): its counts are lower bounds."
    )
    executions: ExecutionsView
    stages: dict[str, StageView] = Field(
        description="Per stage, seconds over the most recent finished submissions of the day."
    )
    stage_sample: int = Field(description="Finished submissions the stage figures come from.")
    last_completion_at: str | None
    queues: dict[str, QueueView | None] = Field(
        description="`uploads` and `dead_letter`; null when unknown."
    )
    problems: list[str] = Field(
        default_factory=list, description="Parts of this report that could not be read."
    )
