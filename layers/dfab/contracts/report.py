"""The score report (CONTRACTS.md §6) and the weights response (CONTRACTS.md §4)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dfab.contracts.reasons import Reason
from dfab.contracts.submission import SubmissionStatus


class SignalResult(BaseModel):
    """One scoring signal: its value in [0,1], its weight in its group, and why."""

    name: str
    group: str
    weight: float = Field(ge=0)
    value: float = Field(ge=0, le=1)
    evidence: dict[str, Any] = Field(default_factory=dict)


class GateResult(BaseModel):
    """A pass/fail precondition; a failed gate forces the score to 0."""

    name: str
    passed: bool
    value: float
    threshold: float
    message: str | None = None


class ScoreReport(BaseModel):
    """Every evaluation, and `dfab score` on a bare dataset, ends in one of these."""

    model_config = ConfigDict(populate_by_name=True)

    submission_id: str
    hotkey: str | None = None
    status: SubmissionStatus
    score: float = Field(ge=0, le=1)
    scorer_version: str
    config_hash: str
    components: dict[str, float] = Field(default_factory=dict)
    signals: list[SignalResult] = Field(default_factory=list)
    gates: list[GateResult] = Field(default_factory=list)
    reason: Reason | None = None
    dataset: dict[str, Any] | None = Field(
        default=None, description="Line counts, valid fraction and the first invalid lines."
    )
    generation: dict[str, Any] | None = Field(
        default=None, description="The sandbox result document of the generation run."
    )
    verification: dict[str, Any] | None = Field(
        default=None, description="Outcomes of the sampled verification blocks, if any ran."
    )
    notes: list[str] = Field(default_factory=list)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class WeightEntry(BaseModel):
    hotkey: str
    score: float = Field(ge=0, le=1)
    submission_id: str
    completed_at: str


class WeightsResponse(BaseModel):
    challenge: str = "data-fabrication"
    scorer_version: str
    generated_at: str
    weights: list[WeightEntry]
