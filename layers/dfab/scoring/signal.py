"""The interface every scoring signal implements, and what signals may read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dfab.contracts.dataset import Conversation
from dfab.settings import Settings


@dataclass(frozen=True)
class DatasetFacts:
    """What the parse step learned about the whole file (not just the valid lines)."""

    total_lines: int
    valid_lines: int
    invalid_lines: int
    requested: int
    rule_counts: dict[str, int] = field(default_factory=dict)

    @property
    def valid_fraction(self) -> float:
        return self.valid_lines / self.total_lines if self.total_lines else 0.0


@dataclass(frozen=True)
class OriginalityInput:
    """The originality module's verdict on this submission (harness and dataset)."""

    value: float
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScoringInput:
    """Everything a signal may read. Conversations are streamed, never all in memory.

    Only `facts`, `settings` and `conversations` are required: every other input has a
    default under which scoring still works and the report says what was not measured.
    """

    facts: DatasetFacts
    settings: Settings
    conversations: Callable[[], Iterator[Conversation]]
    #: Seeds every sampling decision (same id, same sample, on every validator).
    submission_id: str = ""
    #: The dataset's Parquet file (dfab.dataset.parquet layout). When given, scoring
    #: reads it directly (rows are already validated) instead of `conversations`.
    parquet: Path | None = None
    #: The sandbox Verify task's result document (`results`, `sample_ids`), if it ran.
    verification: dict[str, Any] | None = None
    #: A second, small generation with another seed (the seed-dependence probe).
    probe: Callable[[], Iterator[Conversation]] | None = None
    #: The originality module's value and evidence; None means not measured.
    originality: OriginalityInput | None = None
    #: The plagiarism verdict: True gates the score to 0; None means not checked.
    plagiarized: bool | None = None
    #: Shared per-input cache (the feature store), so the signals of one process
    #: read the dataset once.
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def iter_conversations(self) -> Iterator[Conversation]:
        return self.conversations()


@dataclass(frozen=True)
class SignalValue:
    """A signal's verdict: value in [0, 1], its evidence, and whether it was measured.

    An unmeasured signal (an input the pipeline did not provide) is left out of the
    weighted means instead of counting as 0 or 1; its evidence says why.
    """

    value: float
    evidence: dict[str, Any]
    measured: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.value <= 1.0:
            raise ValueError(f"signal value {self.value} is outside [0, 1]")


class Signal(Protocol):
    """One job: read the input, return a value in [0, 1] and the evidence for it.

    The name is `family.signal`; the family decides the component (quality, agentic,
    originality) and `group` the Score branch that computes it.
    """

    name: str
    group: str
    description: str

    def compute(self, data: ScoringInput) -> SignalValue: ...
