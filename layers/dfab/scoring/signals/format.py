"""Format signals: how much of the dataset follows the contract, and how much there is.

They reward only what the parser can prove, so they cannot be inflated by content
tricks. The valid fraction weighs little because a gate already enforces it; volume
scales the score, since a dataset is worth the conversations it delivers.
"""

from __future__ import annotations

from dataclasses import dataclass

from dfab.scoring.signal import ScoringInput, SignalValue


@dataclass(frozen=True)
class ValidFraction:
    name: str = "format.valid_fraction"
    group: str = "quality"
    description: str = "Share of dataset lines that satisfy every rule of the line contract."

    def compute(self, data: ScoringInput) -> SignalValue:
        f = data.facts
        top = sorted(f.rule_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        return SignalValue(
            value=round(f.valid_fraction, 6),
            evidence={
                "valid_lines": f.valid_lines,
                "total_lines": f.total_lines,
                "top_broken_rules": dict(top),
            },
        )


@dataclass(frozen=True)
class Volume:
    name: str = "format.volume"
    group: str = "quality"
    description: str = (
        "Scale (not a weighted signal): valid conversations delivered as a share of those "
        "requested (capped at 1). Multiplies the quality and agentic components."
    )

    def compute(self, data: ScoringInput) -> SignalValue:
        f = data.facts
        value = min(1.0, f.valid_lines / f.requested) if f.requested else 0.0
        return SignalValue(
            value=round(value, 6),
            evidence={"valid_lines": f.valid_lines, "requested": f.requested},
        )
