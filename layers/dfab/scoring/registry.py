"""The one list of scoring signals. A report shows every signal listed here."""

from __future__ import annotations

from dfab.scoring.format_signals import ValidFraction, Volume
from dfab.scoring.signal import Signal

SIGNALS: tuple[Signal, ...] = (ValidFraction(), Volume())

#: Signal groups, in report order.
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(s.group for s in SIGNALS))

#: What the scorer does not measure yet; every report says so.
NOT_YET_MEASURED = (
    "quality, agentic (tool use, reasoning, coding relevance, verifiability, diversity) "
    "and originality signals are not implemented in this scorer version; the score "
    "measures contract validity and volume only"
)


def signals_for_group(group: str) -> tuple[Signal, ...]:
    found = tuple(s for s in SIGNALS if s.group == group)
    if not found:
        raise KeyError(f"unknown signal group {group!r}; known: {', '.join(GROUPS)}")
    return found


def signal_names() -> frozenset[str]:
    return frozenset(s.name for s in SIGNALS)
