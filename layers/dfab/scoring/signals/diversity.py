"""Diversity signals over the whole dataset: duplicates, structures, tasks, seed dependence.

Content near-duplicates are found with MinHash LSH (datasketch) on word 5-grams.
Random word swaps defeat that, so structure is compared too, on skeletons (content
words masked, function words, keywords and punctuation kept). `distinct_share` turns
both into credit: a near-duplicate earns nothing, and one structure (a template) earns
credit for at most `structure_cap_fraction` of the dataset. It scales the quality and
agentic components (see aggregate.py).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from dfab.scoring.extract import text as tx
from dfab.scoring.extract.analysis import ConversationAnalysis
from dfab.scoring.extract.store import FeatureStore, Measure, band_keys, probe_signatures, unit_hash
from dfab.scoring.signal import ScoringInput, SignalValue
from dfab.scoring.signals.base import r6, store_of
from dfab.scoring.signals.coding import effective_count

#: Requests compared by task_distinct_n (a fixed-size sample keeps datasets comparable).
TASK_SAMPLE = 300


def _clusters(store: FeatureStore, leaders: np.ndarray, members: list[int]) -> list[dict[str, Any]]:
    groups: dict[int, list[int]] = {}
    for i in members:
        groups.setdefault(int(leaders[i]), []).append(i)
    big = sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))
    return [
        {"leader": store.ids[g[0]], "size": len(g), "examples": [store.ids[i] for i in g[1:4]]}
        for g in big[:5]
    ]


class NearDuplicates:
    name = "diversity.near_duplicates"
    group = "diversity"
    description = (
        "1 - the share of conversations that are content near-duplicates of an earlier one "
        "(MinHash LSH over word 5-grams, Jaccard >= scoring.near_duplicate_jaccard)."
    )

    def compute(self, data: ScoringInput) -> SignalValue:
        store = store_of(data)
        if store.n == 0:
            return SignalValue(0.0, {"note": "no conversations"})
        dup = store.duplicates
        dups = int(np.count_nonzero(dup.content_leader != np.arange(store.n)))
        return SignalValue(
            r6(1 - dups / store.n),
            {
                "conversations": store.n,
                "near_duplicates": dups,
                "threshold": data.settings.scoring.near_duplicate_jaccard,
                "largest_clusters": _clusters(store, dup.content_leader, list(range(store.n))),
            },
        )


class Structure:
    name = "diversity.structure"
    group = "diversity"
    description = (
        "Structural diversity: the effective number (entropy) of skeleton clusters among "
        "distinct conversations, relative to their count; full value at half of them."
    )
    TARGET = 0.5

    def compute(self, data: ScoringInput) -> SignalValue:
        store = store_of(data)
        dup = store.duplicates
        leaders = [i for i in range(store.n) if dup.content_leader[i] == i]
        if not leaders:
            return SignalValue(0.0, {"note": "no conversations"})
        sizes = Counter(int(dup.structure_leader[i]) for i in leaders)
        eff = effective_count(Counter({str(k): v for k, v in sizes.items()}))
        ratio = eff / len(leaders)
        return SignalValue(
            r6(min(1.0, ratio / self.TARGET)),
            {
                "distinct_conversations": len(leaders),
                "structure_clusters": len(sizes),
                "effective_structures": round(eff, 3),
                "threshold": data.settings.scoring.structure_jaccard,
                "largest_clusters": _clusters(store, dup.structure_leader, leaders),
            },
        )


class TaskDistinctN:
    name = "diversity.task_distinct_n"
    group = "diversity"
    description = (
        "Distinct-2 and distinct-3 over the task requests (first user messages) of a seeded "
        "sample of 300 conversations; full value at 0.6."
    )
    TARGET = 0.6

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        return Measure(None, data=a.request[:2000])

    def compute(self, data: ScoringInput) -> SignalValue:
        store = store_of(data)
        rows = sorted(
            zip(store.analysed_ids(), store.measures[self.name], strict=True),
            key=lambda r: (unit_hash(store.seed, "tasks", r[0]), r[0]),
        )[:TASK_SAMPLE]
        grams: dict[int, Counter[tuple[str, ...]]] = {2: Counter(), 3: Counter()}
        for _, m in rows:
            w = tx.lower_words(m.data)
            for n, counter in grams.items():
                counter.update(zip(*(w[i:] for i in range(n)), strict=False))
        distinct = {n: (len(c) / sum(c.values()) if c else 0.0) for n, c in grams.items()}
        mean = (distinct[2] + distinct[3]) / 2
        top = grams[3].most_common(1)
        return SignalValue(
            r6(min(1.0, mean / self.TARGET)),
            {
                "requests": len(rows),
                "distinct_2": r6(distinct[2]),
                "distinct_3": r6(distinct[3]),
                "most_common_3gram": " ".join(top[0][0]) if top else None,
            },
        )


class ProbeDiffers:
    name = "diversity.probe_differs"
    group = "diversity"
    description = (
        "A second, small generation with another seed must differ: the share of its "
        "conversations that are not content near-duplicates of the dataset's. A static dump "
        "that ignores the seed scores 0 (and fails the seed_dependence gate)."
    )

    def compute(self, data: ScoringInput) -> SignalValue:
        probe = probe_signatures(data)
        if probe is None:
            return SignalValue(1.0, {"note": "no probe generation was provided"}, measured=False)
        ids, sigs = probe
        if not ids:
            return SignalValue(0.0, {"note": "the probe generation produced no conversations"})
        store = store_of(data)
        dup = store.duplicates
        threshold = data.settings.scoring.near_duplicate_jaccard
        known = set(store.ids)
        index = dup.content_index
        keys = band_keys(sigs, index.b, index.r).tolist()
        same: list[dict[str, Any]] = []
        for pid, sig, key in zip(ids, sigs, keys, strict=True):
            match, j = index.best_match(sig, key)
            if match >= 0 and j >= threshold:
                same.append({"probe_id": pid, "matches": store.ids[match], "jaccard": round(j, 3)})
        share = len(same) / len(ids)
        return SignalValue(
            r6(1 - share),
            {
                "probe_conversations": len(ids),
                "near_duplicates_of_dataset": len(same),
                "same_ids": sum(1 for pid in ids if pid in known),
                "examples": same[:5],
            },
        )


class DistinctShare:
    name = "diversity.distinct_share"
    group = "diversity"
    description = (
        "Scale (not a weighted signal): the credit the conversations earn after duplicates. A "
        "content near-duplicate earns 0; one skeleton structure earns credit for at most "
        "max(structure_cap_min, structure_cap_fraction x conversations). Multiplies the "
        "quality and agentic components."
    )

    def compute(self, data: ScoringInput) -> SignalValue:
        store = store_of(data)
        if store.n == 0:
            return SignalValue(0.0, {"note": "no conversations"})
        dup = store.duplicates
        leaders = [i for i in range(store.n) if dup.content_leader[i] == i]
        sizes = Counter(int(dup.structure_leader[i]) for i in leaders)
        over = sorted(
            ((s, k) for k, s in sizes.items() if s > dup.cap), key=lambda x: (-x[0], x[1])
        )
        return SignalValue(
            r6(float(dup.credit.sum()) / store.n),
            {
                "conversations": store.n,
                "content_duplicates": store.n - len(leaders),
                "structure_cap": dup.cap,
                "structures_over_cap": [
                    {"leader": store.ids[k], "size": s, "credited": dup.cap} for s, k in over[:5]
                ],
                "credited": round(float(dup.credit.sum()), 3),
            },
        )
