"""What per-conversation signals share: the store lookup and the standard summary.

A per-conversation signal implements `measure(analysis, store) -> Measure`; its
dataset value is the mean over the conversations it applies to, and its evidence
always has the same shape: how many conversations were read and applied, the value
distribution, and the worst conversations with their ids and reasons.
"""

from __future__ import annotations

from typing import Any, ClassVar

from dfab.scoring.extract.analysis import ConversationAnalysis
from dfab.scoring.extract.store import FeatureStore, Measure
from dfab.scoring.signal import ScoringInput, SignalValue

WORST = 5
BINS = 10


def store_of(data: ScoringInput) -> FeatureStore:
    """The input's feature store, built on first use by the one pass over the dataset."""
    store = data.cache.get("store")
    if store is None:
        from dfab.scoring.registry import measuring_signals  # the registry imports signals

        store = FeatureStore(data, measuring_signals())
        data.cache["store"] = store
    return store


def r6(x: float) -> float:
    return round(float(x), 6)


def histogram(values: list[float]) -> list[int]:
    """Counts in 10 equal bins over [0, 1] (1.0 falls in the last)."""
    counts = [0] * BINS
    for v in values:
        counts[min(BINS - 1, int(v * BINS))] += 1
    return counts


def worst(ids: list[str], measures: list[Measure], k: int = WORST) -> list[dict[str, Any]]:
    """The k lowest-valued conversations (ties by id), with their reasons and flags."""
    rows = [(m.value, cid, m) for cid, m in zip(ids, measures, strict=True) if m.value is not None]
    rows.sort(key=lambda r: (r[0], r[1]))
    out = []
    for value, cid, m in rows[:k]:
        if value >= 1.0:
            break
        item: dict[str, Any] = {"id": cid, "value": r6(value), "reason": m.reason}
        if m.flag:
            item["red_flag"] = m.flag
        out.append(item)
    return out


def sample_evidence(store: FeatureStore) -> dict[str, Any]:
    ev: dict[str, Any] = {"conversations_read": len(store.analysed)}
    if store.sampled:
        ev["sampled_from"] = store.n
        ev["sample_seed"] = "submission id"
    return ev


class PerConversation:
    """Base of signals whose dataset value is the mean of per-conversation values."""

    name: ClassVar[str]
    group: ClassVar[str]
    description: ClassVar[str]
    #: Dataset value when the signal applies to no conversation at all.
    empty_value: ClassVar[float] = 0.0
    empty_reason: ClassVar[str] = "applies to no conversation"

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        raise NotImplementedError

    def values(self, data: ScoringInput) -> list[Measure]:
        return store_of(data).measures[self.name]

    def compute(self, data: ScoringInput) -> SignalValue:
        store = store_of(data)
        measures = store.measures[self.name]
        applied = [m.value for m in measures if m.value is not None]
        ev = sample_evidence(store)
        ev["applies_to"] = len(applied)
        flags = [m.flag for m in measures if m.flag]
        if flags:
            ev["red_flags"] = len(flags)
        if not applied:
            ev["note"] = self.empty_reason
            return SignalValue(self.empty_value, ev)
        value = self.dataset_value(applied, len(measures))
        ev["mean"] = r6(sum(applied) / len(applied))
        ev["histogram"] = histogram(applied)
        ev["worst"] = worst(store.analysed_ids(), measures)
        return SignalValue(r6(min(1.0, max(0.0, value))), ev)

    def dataset_value(self, applied: list[float], total: int) -> float:
        """Mean over the conversations the signal applies to (override to change)."""
        return sum(applied) / len(applied)


def clamp(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x
