"""The interface every scoring signal implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
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


@dataclass
class ScoringInput:
    """Everything a signal may read. Conversations are streamed, never all in memory."""

    facts: DatasetFacts
    settings: Settings
    conversations: Any  # Callable[[], Iterator[Conversation]]

    def iter_conversations(self) -> Iterator[Conversation]:
        return self.conversations()


@dataclass(frozen=True)
class SignalValue:
    value: float
    evidence: dict[str, Any]

    def __post_init__(self) -> None:
        if not 0.0 <= self.value <= 1.0:
            raise ValueError(f"signal value {self.value} is outside [0, 1]")


class Signal(Protocol):
    """One job: read the input, return a value in [0, 1] and the evidence for it."""

    name: str
    group: str
    description: str

    def compute(self, data: ScoringInput) -> SignalValue: ...
