"""The parse step's stored document, and the dataset facts scoring reads from it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from dfab.dataset.summary import ParseSummary
from dfab.scoring.signal import DatasetFacts


class ParseDocument(BaseModel):
    """`results/{id}/parse.json`: the summary plus what later steps need."""

    summary: ParseSummary
    requested: int = Field(description="DF_NUM_CONVERSATIONS the harness was asked for.")
    verifiable_ids: list[str] = Field(
        default_factory=list, description="Valid conversations carrying a verification block."
    )

    def report_view(self) -> dict[str, Any]:
        """What a score report shows of the dataset (no id lists)."""
        return {
            **self.summary.model_dump(mode="json"),
            "requested": self.requested,
            "verifiable": len(self.verifiable_ids),
        }

    def facts(self) -> DatasetFacts:
        s = self.summary
        return DatasetFacts(
            total_lines=s.total_lines,
            valid_lines=s.valid,
            invalid_lines=s.invalid,
            requested=self.requested,
            rule_counts=dict(s.rule_counts),
        )
