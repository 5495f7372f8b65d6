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
