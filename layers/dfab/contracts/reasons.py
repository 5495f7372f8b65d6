"""Stable, machine-readable reason classes for REJECTED and FAILED verdicts."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ReasonClass(StrEnum):
    """Why a submission was rejected (CONTRACTS.md §1) or failed (pipeline stages)."""

    # Archive safety and manifest (REJECTED), CONTRACTS.md §1.
    TOO_LARGE = "TOO_LARGE"
    TOO_MANY_ENTRIES = "TOO_MANY_ENTRIES"
    BOMB_OVERLAP = "BOMB_OVERLAP"
    BOMB_RATIO = "BOMB_RATIO"
    BOMB_DECLARED_SIZE = "BOMB_DECLARED_SIZE"
    NESTED_ARCHIVE = "NESTED_ARCHIVE"
    PATH_TRAVERSAL = "PATH_TRAVERSAL"
    LINK = "LINK"
    SPECIAL_FILE = "SPECIAL_FILE"
    PERMISSIONS = "PERMISSIONS"
    NAME_COLLISION = "NAME_COLLISION"
    BAD_NAME = "BAD_NAME"
    ENCRYPTED = "ENCRYPTED"
    UNSUPPORTED_COMPRESSION = "UNSUPPORTED_COMPRESSION"
    STRUCTURE_MISMATCH = "STRUCTURE_MISMATCH"
    PREPENDED_DATA = "PREPENDED_DATA"
    TRAILING_DATA = "TRAILING_DATA"
    TAR_AMBIGUOUS = "TAR_AMBIGUOUS"
    CORRUPT = "CORRUPT"
    FORMAT_MISMATCH = "FORMAT_MISMATCH"
    CHECKSUM_MISMATCH = "CHECKSUM_MISMATCH"
    MANIFEST_INVALID = "MANIFEST_INVALID"
    DEPENDENCY_NOT_ALLOWED = "DEPENDENCY_NOT_ALLOWED"
    REVIEW_CRITICAL = "REVIEW_CRITICAL"
    PLAGIARISM = "PLAGIARISM"
    # Pipeline stages (FAILED). Not listed in CONTRACTS.md §1, which covers rejections only.
    HARNESS_EXIT = "HARNESS_EXIT"
    HARNESS_TIMEOUT = "HARNESS_TIMEOUT"
    HARNESS_LIMIT = "HARNESS_LIMIT"
    HARNESS_NO_OUTPUT = "HARNESS_NO_OUTPUT"
    DATASET_INVALID = "DATASET_INVALID"
    SANDBOX_UNAVAILABLE = "SANDBOX_UNAVAILABLE"
    INTERNAL = "INTERNAL"


class Reason(BaseModel):
    """A verdict's reason: `{"class": "PATH_TRAVERSAL", "message": "..."}`."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    reason_class: ReasonClass = Field(alias="class")
    message: str = Field(min_length=1, max_length=4000)

    def dump(self) -> dict[str, str]:
        return self.model_dump(mode="json", by_alias=True)


class VerdictError(Exception):
    """An expected negative verdict on miner input, carrying its reason."""

    def __init__(self, reason_class: ReasonClass, message: str) -> None:
        super().__init__(f"{reason_class}: {message}")
        self.reason = Reason(reason_class=reason_class, message=message)
