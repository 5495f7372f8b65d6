"""The one list of scoring signals. A report shows every signal listed here.

Names are `family.signal`. The family decides the component the signal feeds:

- quality     <- format, quality
- agentic     <- tool_use, reasoning, coding, verifiability, diversity (family-weighted)
- originality <- originality

Three signals are *scales* rather than weighted parts: `format.volume`,
`integrity.clean_share` and `diversity.distinct_share` multiply the quality and agentic
components, so the score is proportional to the conversations that count (delivered,
fit to train on, distinct).

`group` is the Score branch that computes a signal (one state-machine branch per group).
"""

from __future__ import annotations

from dfab.scoring.signal import Signal
from dfab.scoring.signals import (
    coding,
    diversity,
    integrity,
    originality,
    quality,
    reasoning,
    tool_use,
    verifiability,
)
from dfab.scoring.signals import format as format_signals

SIGNALS: tuple[Signal, ...] = (
    format_signals.ValidFraction(),
    format_signals.Volume(),
    quality.TaskIntent(),
    quality.Coherence(),
    quality.TextHealth(),
    quality.CodeValidity(),
    quality.FinalAnswer(),
    integrity.CleanShare(),
    tool_use.DeclaredTools(),
    tool_use.SchemaValidArgs(),
    tool_use.CallsAnswered(),
    tool_use.Loops(),
    tool_use.Variety(),
    tool_use.PlausibleResults(),
    reasoning.Present(),
    reasoning.Grounded(),
    reasoning.Bounded(),
    reasoning.NotAnswerCopy(),
    coding.RealWork(),
    coding.Spread(),
    coding.HintsMatch(),
    verifiability.VerifiedShare(),
    diversity.NearDuplicates(),
    diversity.Structure(),
    diversity.TaskDistinctN(),
    diversity.ProbeDiffers(),
    diversity.DistinctShare(),
    originality.OriginalityValue(),
)

#: Score branches, in report order: one Lambda invocation each.
GROUPS: tuple[str, ...] = ("quality", "agentic", "diversity", "originality")
#: Components of the final score.
COMPONENTS: tuple[str, ...] = ("quality", "agentic", "originality")
FAMILY_COMPONENT: dict[str, str] = {
    "format": "quality",
    "quality": "quality",
    "integrity": "scale",
    "tool_use": "agentic",
    "reasoning": "agentic",
    "coding": "agentic",
    "verifiability": "agentic",
    "diversity": "agentic",
    "originality": "originality",
}
AGENTIC_FAMILIES: tuple[str, ...] = tuple(f for f, c in FAMILY_COMPONENT.items() if c == "agentic")
#: Signals that multiply the quality and agentic components instead of being averaged.
SCALE_SIGNALS: tuple[str, ...] = (
    "format.volume",
    "integrity.clean_share",
    "diversity.distinct_share",
)


def family_of(name: str) -> str:
    return name.split(".", 1)[0]


def component_of(name: str) -> str:
    """quality / agentic / originality, or "scale" for the multipliers."""
    if name in SCALE_SIGNALS:
        return "scale"
    return FAMILY_COMPONENT[family_of(name)]


def signals_for_group(group: str) -> tuple[Signal, ...]:
    found = tuple(s for s in SIGNALS if s.group == group)
    if not found:
        raise KeyError(f"unknown signal group {group!r}; known: {', '.join(GROUPS)}")
    return found


def signal_names() -> frozenset[str]:
    return frozenset(s.name for s in SIGNALS)


def measuring_signals() -> list:  # list[Measuring]; typed loosely to avoid an import cycle
    """Signals that read conversations one by one during the feature pass."""
    return [s for s in SIGNALS if callable(getattr(s, "measure", None))]


def _check() -> None:
    for s in SIGNALS:
        if family_of(s.name) not in FAMILY_COMPONENT or s.group not in GROUPS:
            raise RuntimeError(f"signal {s.name} has an unknown family or group")
    if len(signal_names()) != len(SIGNALS):
        raise RuntimeError("two signals share a name")


_check()
