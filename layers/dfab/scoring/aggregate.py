"""From signal values to components, gates and the final score.

    scale = volume x clean_share x distinct_share x min(1, O / originality_full_credit)
    Q = scale x (weighted mean of quality signals)
    A = scale x (family-weighted mean of agentic families)
    O = originality value (left out, weights renormalized, when not measured)
    score = (w_q Q + w_a A + w_o O) / (w_q + w_a [+ w_o]),  or 0 when a gate fails

The scales make the score proportional to the conversations that count: a missing, a
duplicate or a red-flagged conversation contributes nothing, and a dataset that is not
the miner's own (originality under `originality_full_credit`) is scaled down with it.
Unmeasured signals (an input the pipeline did not provide) drop out of their means.
"""

from __future__ import annotations

from collections.abc import Iterable

from dfab import SCORER_VERSION
from dfab.contracts.reasons import Reason, ReasonClass
from dfab.contracts.report import GateResult, ScoreReport, SignalResult
from dfab.contracts.submission import SubmissionStatus
from dfab.scoring.registry import (
    AGENTIC_FAMILIES,
    COMPONENTS,
    GROUPS,
    SCALE_SIGNALS,
    component_of,
    family_of,
    signal_names,
    signals_for_group,
)
from dfab.scoring.signal import DatasetFacts, ScoringInput
from dfab.settings import ConfigError, Settings


def check_scoring_config(settings: Settings) -> None:
    """Refuse weights that name signals, families or components the registry lacks."""
    sc = settings.scoring
    unknown = sorted(set(sc.weights) - signal_names())
    if unknown:
        raise ConfigError(
            f"scoring.weights names unknown signals {unknown}; known: {sorted(signal_names())}"
        )
    scaled = sorted(n for n in sc.weights if n in SCALE_SIGNALS and sc.weights[n] > 0)
    if scaled:
        raise ConfigError(
            f"scoring.weights gives a weight to scale signals {scaled}; they "
            "multiply the components and take no weight"
        )
    unknown = sorted(set(sc.agentic_weights) - set(AGENTIC_FAMILIES))
    if unknown:
        raise ConfigError(
            f"scoring.agentic_weights names unknown families {unknown}; "
            f"known: {list(AGENTIC_FAMILIES)}"
        )
    unknown = sorted(set(sc.component_weights) - set(COMPONENTS))
    if unknown:
        raise ConfigError(
            f"scoring.component_weights names unknown components {unknown}; "
            f"known: {list(COMPONENTS)}"
        )
    if sum(sc.component_weights.get(c, 0.0) for c in ("quality", "agentic")) <= 0:
        raise ConfigError("scoring.component_weights must give quality or agentic a weight")


def compute_group(group: str, data: ScoringInput) -> list[SignalResult]:
    """Run every signal of one group (what one Score branch does)."""
    weights = data.settings.scoring.weights
    results = []
    for signal in signals_for_group(group):
        out = signal.compute(data)
        evidence = dict(out.evidence)
        if not out.measured:
            evidence["measured"] = False
        if signal.name in SCALE_SIGNALS:
            evidence["role"] = "scale: multiplies the quality and agentic components"
        results.append(
            SignalResult(
                name=signal.name,
                group=signal.group,
                weight=0.0 if signal.name in SCALE_SIGNALS else weights.get(signal.name, 0.0),
                value=out.value,
                evidence=evidence,
            )
        )
    return results


def is_measured(signal: SignalResult) -> bool:
    return signal.evidence.get("measured", True) is not False


def group_value(signals: Iterable[SignalResult]) -> float | None:
    """Weighted mean of the measured signals, or None when none is measured."""
    pairs = [(s.weight, s.value) for s in signals if is_measured(s) and s.weight > 0]
    total = sum(w for w, _ in pairs)
    return sum(w * v for w, v in pairs) / total if total > 0 else None


def component_values(signals: list[SignalResult], settings: Settings) -> dict[str, float]:
    """Raw components, agentic family values and the scale, before weighting."""
    out: dict[str, float] = {}
    quality = group_value(s for s in signals if component_of(s.name) == "quality")
    out["quality_raw"] = quality if quality is not None else 0.0
    aw = settings.scoring.agentic_weights
    fam_pairs = []
    for family in AGENTIC_FAMILIES:
        v = group_value(s for s in signals if family_of(s.name) == family)
        if v is not None:
            out[f"agentic.{family}"] = v
            if aw.get(family, 0.0) > 0:
                fam_pairs.append((aw[family], v))
    total = sum(w for w, _ in fam_pairs)
    out["agentic_raw"] = sum(w * v for w, v in fam_pairs) / total if total else 0.0
    scale = 1.0
    for s in signals:
        if s.name in SCALE_SIGNALS and is_measured(s):
            scale *= s.value
    orig = group_value(s for s in signals if component_of(s.name) == "originality")
    if orig is not None:
        out["originality"] = orig
        out["originality_scale"] = min(1.0, orig / settings.scoring.originality_full_credit)
        scale *= out["originality_scale"]
    out["effective_share"] = scale
    return out


def evaluate_gates(
    facts: DatasetFacts,
    settings: Settings,
    signals: list[SignalResult] | None = None,
    plagiarized: bool | None = None,
) -> list[GateResult]:
    sc = settings.scoring
    gates = [
        GateResult(
            name="valid_fraction",
            passed=facts.valid_fraction >= sc.min_valid_fraction,
            value=round(facts.valid_fraction, 6),
            threshold=sc.min_valid_fraction,
            message=f"{facts.valid_lines} of {facts.total_lines} lines are valid",
        ),
        GateResult(
            name="min_conversations",
            passed=facts.valid_lines >= sc.min_conversations,
            value=facts.valid_lines,
            threshold=sc.min_conversations,
            message=f"{facts.valid_lines} valid conversations; at least "
            f"{sc.min_conversations} are required",
        ),
    ]
    by_name = {s.name: s for s in signals or []}
    if plagiarized is None:
        orig = by_name.get("originality.value")
        if orig is not None and isinstance(orig.evidence.get("plagiarized"), bool):
            plagiarized = orig.evidence["plagiarized"]
    if plagiarized is not None:
        gates.append(
            GateResult(
                name="plagiarism",
                passed=not plagiarized,
                value=1.0 if plagiarized else 0.0,
                threshold=0.0,
                message="the dataset or harness copies another miner's"
                if plagiarized
                else "no plagiarism found",
            )
        )
    probe = by_name.get("diversity.probe_differs")
    if probe is not None and is_measured(probe):
        gates.append(
            GateResult(
                name="seed_dependence",
                passed=probe.value >= sc.min_probe_difference,
                value=probe.value,
                threshold=sc.min_probe_difference,
                message=f"{probe.value:.0%} of a second-seed generation differs from the "
                "dataset (the output must depend on DF_SEED)",
            )
        )
    return gates


def build_report(
    *,
    submission_id: str,
    hotkey: str | None,
    facts: DatasetFacts,
    signals: list[SignalResult],
    settings: Settings,
    plagiarized: bool | None = None,
) -> ScoreReport:
    """The final, deterministic verdict: components, gates and the weighted score."""
    check_scoring_config(settings)
    raw = component_values(signals, settings)
    scale = raw["effective_share"]
    components = {
        "quality": round(raw["quality_raw"] * scale, 6),
        "agentic": round(raw["agentic_raw"] * scale, 6),
    }
    if "originality" in raw:
        components["originality"] = round(raw["originality"], 6)
    cw = settings.scoring.component_weights
    total_w = sum(cw.get(c, 0.0) for c in components)
    weighted = sum(cw.get(c, 0.0) * v for c, v in components.items())
    value = weighted / total_w if total_w else 0.0
    gates = evaluate_gates(facts, settings, signals, plagiarized)
    failed = [g for g in gates if not g.passed]
    score = 0.0 if failed else round(min(1.0, max(0.0, value)), 6)
    reason = None
    if failed:
        cls = (
            ReasonClass.PLAGIARISM
            if any(g.name == "plagiarism" for g in failed)
            else (ReasonClass.DATASET_INVALID)
        )
        reason = Reason.model_validate(
            {
                "class": cls.value,
                "message": "; ".join(f"gate {g.name} failed: {g.message}" for g in failed),
            }
        )
    return ScoreReport(
        submission_id=submission_id,
        hotkey=hotkey,
        status=SubmissionStatus.COMPLETED,
        score=score,
        scorer_version=SCORER_VERSION,
        config_hash=settings.config_hash(),
        components={**components, "effective_share": round(scale, 6)},
        signals=sorted(signals, key=_report_order),
        gates=gates,
        reason=reason,
        notes=_notes(raw, components, signals),
    )


def _notes(
    raw: dict[str, float], components: dict[str, float], signals: list[SignalResult]
) -> list[str]:
    notes = [
        f"quality = {raw['quality_raw']:.3f} x effective share {raw['effective_share']:.3f}; "
        f"agentic = {raw['agentic_raw']:.3f} x effective share "
        f"(families: "
        + ", ".join(
            f"{k.split('.', 1)[1]} {v:.3f}" for k, v in raw.items() if k.startswith("agentic.")
        )
        + ")"
    ]
    if "originality" not in components:
        notes.append("originality was not measured: left out, the other weights renormalized")
    elif raw.get("originality_scale", 1.0) < 1.0:
        notes.append(
            f"originality {raw['originality']:.3f} is under full credit: quality and agentic "
            f"are scaled by {raw['originality_scale']:.3f}"
        )
    unmeasured = sorted(s.name for s in signals if not is_measured(s))
    if unmeasured:
        notes.append("not measured for this input: " + ", ".join(unmeasured))
    return notes


def _report_order(s: SignalResult) -> tuple[int, str]:
    return (GROUPS.index(s.group) if s.group in GROUPS else len(GROUPS), s.name)
