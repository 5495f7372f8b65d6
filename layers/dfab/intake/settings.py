"""`intake:` settings: how strictly signed submission requests are admitted.

Its own module (not settings.py) so the intake issue could add it without touching
the shared settings file; `Settings` holds it as `intake: IntakeSettings`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class IntakeSettings(BaseModel):
    """Limits on `POST /submissions` (CONTRACTS.md §5); none of them moves a score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ss58_format: int = Field(
        42,
        ge=0,
        le=16383,
        description="SS58 address prefix hotkeys must use (42: Bittensor, generic Substrate).",
    )
    timestamp_skew_s: int = Field(
        300,
        ge=10,
        le=3600,
        description="A signed request's timestamp may differ from the API's clock by this much.",
    )
    upload_url_ttl_s: int = Field(
        600, ge=60, le=3600, description="Lifetime of the presigned upload (POST) returned."
    )
    max_submissions_per_window: int = Field(
        5,
        ge=1,
        le=50,
        description="Submissions one hotkey may create within `rate_window_s` (sliding).",
    )
    rate_window_s: int = Field(
        86400, ge=60, le=30 * 86400, description="Length of the per-hotkey rate-limit window."
    )
    one_in_flight: bool = Field(
        True,
        description="Refuse a new submission while the hotkey has one not yet COMPLETED, "
        "FAILED or REJECTED.",
    )
    in_flight_max_age_s: int = Field(
        6 * 3600,
        ge=600,
        description="An unfinished submission older than this no longer blocks a new one "
        "(a stuck record must not lock a miner out forever).",
    )
    allowlist: str | None = Field(
        None,
        description="Registered hotkeys only: a file path or s3://bucket/key holding SS58 "
        "addresses (whitespace separated, # comments). Unset: any valid hotkey.",
    )
    allowlist_refresh_s: int = Field(
        300, ge=10, description="How long a loaded allowlist is used before it is re-read."
    )

    @model_validator(mode="after")
    def _consistent(self) -> IntakeSettings:
        if self.in_flight_max_age_s <= self.upload_url_ttl_s:
            raise ValueError("in_flight_max_age_s must exceed upload_url_ttl_s")
        return self

    @property
    def abandoned_upload_s(self) -> int:
        """A PENDING_UPLOAD older than this can no longer be uploaded to (URL expired)."""
        return self.upload_url_ttl_s + 60


def intake_settings(settings: Any) -> IntakeSettings:
    """The `intake` section of a `dfab.settings.Settings` (defaults when it has none)."""
    found = getattr(settings, "intake", None)
    return found if isinstance(found, IntakeSettings) else IntakeSettings()
