"""`api:` settings: page sizes, caches and bounds of the read routes.

Its own module (like `dfab.intake.settings`) so the results API could add it without
touching the shared settings file; `Settings` holds it as `api: ApiSettings`. None of
these moves a score.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ApiSettings(BaseModel):
    """Bounds on what one request of the read routes may cost."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ranking_max_age_s: float = Field(
        60.0,
        ge=0,
        le=3600,
        description="Longest one API container serves GET /weights and GET /leaderboard from "
        "the ranking it read while no best score changed (a change is seen at once through "
        "the ranking version; this bounds a missed one). 0: read the ranking every request.",
    )
    leaderboard_default_limit: int = Field(
        50, ge=1, le=1000, description="Entries per GET /leaderboard page without `limit`."
    )
    leaderboard_max_limit: int = Field(
        200, ge=1, le=1000, description="Largest `limit` GET /leaderboard accepts."
    )
    miner_submissions_default_limit: int = Field(
        20, ge=1, le=100, description="Submissions per GET /miners/{hotkey} page without `limit`."
    )
    miner_submissions_max_limit: int = Field(
        100, ge=1, le=100, description="Largest `limit` GET /miners/{hotkey} accepts."
    )
    health_cache_s: float = Field(
        15.0,
        ge=0,
        le=300,
        description="How long one API container reuses a computed GET /health (0: never).",
    )
    health_max_items: int = Field(
        5000,
        ge=10,
        le=100_000,
        description="Most submissions GET /health reads per status for the last day; beyond "
        "it counts are lower bounds and the response says `truncated`.",
    )
    health_duration_sample: int = Field(
        500,
        ge=10,
        le=10_000,
        description="Most recent finished submissions whose timelines give the stage "
        "durations (p50/p95) in GET /health.",
    )
    health_max_running: int = Field(
        1000,
        ge=100,
        le=10_000,
        description="Most running executions GET /health counts (ListExecutions pages of 100).",
    )

    @model_validator(mode="after")
    def _defaults_within_bounds(self) -> ApiSettings:
        if self.leaderboard_default_limit > self.leaderboard_max_limit:
            raise ValueError("leaderboard_default_limit must not exceed leaderboard_max_limit")
        if self.miner_submissions_default_limit > self.miner_submissions_max_limit:
            raise ValueError(
                "miner_submissions_default_limit must not exceed miner_submissions_max_limit"
            )
        return self


def api_settings(settings: object) -> ApiSettings:
    """`settings.api` once `Settings` holds it; the defaults until then."""
    found = getattr(settings, "api", None)
    return found if isinstance(found, ApiSettings) else ApiSettings()
