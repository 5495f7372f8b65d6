"""From signal values to group components, gates and the final score."""

from __future__ import annotations

from collections.abc import Iterable

from dfab import SCORER_VERSION
from dfab.contracts.reasons import Reason
from dfab.contracts.report import GateResult, ScoreReport, SignalResult
from dfab.contracts.submission import SubmissionStatus
from dfab.scoring.registry import GROUPS, NOT_YET_MEASURED, signal_names, signals_for_group
from dfab.scoring.signal import DatasetFacts, ScoringInput
from dfab.settings import ConfigError, Settings


def check_scoring_config(settings: Settings) -> None:
    """Refuse weights that name signals or groups the registry does not have."""
    unknown = sorted(set(settings.scoring.weights) - signal_names())
    if unknown:
        raise ConfigError(
            f"scoring.weights names unknown signals {unknown}; known: {sorted(signal_names())}"
        )
    unknown = sorted(set(settings.scoring.group_weights) - set(GROUPS))
    if unknown:
        raise ConfigError(
            f"scoring.group_weights names unknown groups {unknown}; known: {list(GROUPS)}"
        )
    if sum(settings.scoring.group_weights.values()) <= 0:
        raise ConfigError("scoring.group_weights must have a positive total")


def compute_group(group: str, data: ScoringInput) -> list[SignalResult]:
    """Run every signal of one group (what one Score branch does)."""
    weights = data.settings.scoring.weights
    results = []
    for signal in signals_for_group(group):
        out = signal.compute(data)
        results.append(
            SignalResult(
                name=signal.name,
                group=signal.group,
                weight=weights.get(signal.name, 0.0),
                value=out.value,
                evidence=out.evidence,
            )
        )
    return results


def group_value(signals: Iterable[SignalResult]) -> float:
    pairs = [(s.weight, s.value) for s in signals]
    total = sum(w for w, _ in pairs)
    return sum(w * v for w, v in pairs) / total if total > 0 else 0.0


def evaluate_gates(facts: DatasetFacts, settings: Settings) -> list[GateResult]:
    sc = settings.scoring
    return [
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


def build_report(
    *,
    submission_id: str,
    hotkey: str | None,
    facts: DatasetFacts,
    signals: list[SignalResult],
    settings: Settings,
) -> ScoreReport:
    """The final, deterministic verdict: components, gates and the weighted score."""
    check_scoring_config(settings)
    components = {
        group: round(group_value(s for s in signals if s.group == group), 6)
        for group in GROUPS
    }
    gw = settings.scoring.group_weights
    total_w = sum(gw.get(g, 0.0) for g in GROUPS)
    raw = sum(gw.get(g, 0.0) * components[g] for g in GROUPS) / total_w if total_w else 0.0
    gates = evaluate_gates(facts, settings)
    failed = [g for g in gates if not g.passed]
    score = 0.0 if failed else round(min(1.0, max(0.0, raw)), 6)
    reason = None
    if failed:
        reason = Reason.model_validate(
            {
                "class": "DATASET_INVALID",
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
        components=components,
        signals=sorted(signals, key=lambda s: (GROUPS.index(s.group), s.name)),
        gates=gates,
        reason=reason,
        notes=[NOT_YET_MEASURED],
    )
