"""Originality: how much of the harness and its dataset is the miner's own.

The value comes from the originality module (harness and dataset similarity to other
submissions); this signal only reads it. When the pipeline provides none, the signal
is "not measured" and the originality component is left out of the final score with
the other weights renormalized: a missing input neither pays nor costs.
"""

from __future__ import annotations

from dataclasses import dataclass

from dfab.scoring.signal import ScoringInput, SignalValue


@dataclass(frozen=True)
class OriginalityValue:
    name: str = "originality.value"
    group: str = "originality"
    description: str = (
        "The originality module's value for this submission (1 = nothing borrowed). "
        "A plagiarism verdict gates the whole score to 0."
    )

    def compute(self, data: ScoringInput) -> SignalValue:
        ev: dict[str, object] = {}
        if data.plagiarized is not None:
            ev["plagiarized"] = data.plagiarized
        if data.originality is None:
            ev["note"] = "originality was not measured for this input"
            return SignalValue(1.0, ev, measured=False)
        value = min(1.0, max(0.0, float(data.originality.value)))
        ev.update(data.originality.evidence)
        ev["input_value"] = data.originality.value
        return SignalValue(round(value, 6), ev)
