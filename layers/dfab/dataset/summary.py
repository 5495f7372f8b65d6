"""The parse report: counts per rule and the first invalid lines in full.

Built incrementally (`SummaryBuilder.add`) so one pass over the verdicts can also feed
the Parquet writer; `summarize` is the one-shot form.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from dfab.dataset.parser import LineVerdict

#: Violations listed per reported line; the rest are counted (`violations_total`).
MAX_VIOLATIONS_PER_LINE = 20
#: `where` and `message` are cut to this many characters: both can quote the line (a key,
#: a file path), and the report must stay small whatever a line holds.
MAX_REPORTED_CHARS = 300


def _clip(text: str) -> str:
    return text if len(text) <= MAX_REPORTED_CHARS else text[:MAX_REPORTED_CHARS] + "…"


class ReportedViolation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    where: str
    message: str


class InvalidLine(BaseModel):
    """One invalid line as the report shows it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line_number: int
    id: str | None
    violations: list[ReportedViolation]
    violations_total: int


class ParseSummary(BaseModel):
    """What the Parse step reports about a dataset file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    total_lines: int
    valid: int
    invalid: int
    valid_fraction: float = Field(description="valid / total_lines; 0.0 for an empty file.")
    rule_counts: dict[str, int] = Field(
        description="Rule id -> number of lines that broke it (a line counts once per rule)."
    )
    invalid_lines: list[InvalidLine] = Field(description="The first invalid lines, in order.")


class SummaryBuilder:
    """Accumulates verdicts into a `ParseSummary` in constant memory (plus N lines)."""

    def __init__(self, max_reported_invalid: int) -> None:
        self._max_reported = max_reported_invalid
        self._total = 0
        self._valid = 0
        self._rules: Counter[str] = Counter()
        self._reported: list[InvalidLine] = []

    def add(self, verdict: LineVerdict) -> None:
        self._total += 1
        if verdict.valid:
            self._valid += 1
            return
        self._rules.update({v.rule for v in verdict.violations})
        if len(self._reported) < self._max_reported:
            shown = verdict.violations[:MAX_VIOLATIONS_PER_LINE]
            self._reported.append(
                InvalidLine(
                    line_number=verdict.line_number,
                    id=verdict.id,
                    violations=[
                        ReportedViolation(
                            rule=v.rule, where=_clip(v.where), message=_clip(v.message)
                        )
                        for v in shown
                    ],
                    violations_total=len(verdict.violations),
                )
            )

    def summary(self) -> ParseSummary:
        return ParseSummary(
            total_lines=self._total,
            valid=self._valid,
            invalid=self._total - self._valid,
            valid_fraction=self._valid / self._total if self._total else 0.0,
            rule_counts=dict(sorted(self._rules.items())),
            invalid_lines=list(self._reported),
        )


def summarize(verdicts: Iterable[LineVerdict], max_reported_invalid: int = 50) -> ParseSummary:
    """Consume `verdicts` and summarize them."""
    builder = SummaryBuilder(max_reported_invalid)
    for verdict in verdicts:
        builder.add(verdict)
    return builder.summary()
