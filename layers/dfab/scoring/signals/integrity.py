"""Integrity: the share of conversations fit to train on (no red flag).

Signals raise red flags on conversations that would teach a model something wrong or
that exist to fool the scorer: schema-breaking calls answered as if fine, fabricated
tool results, padded reasoning, oversized answers, degenerate text, verification that
proves nothing, off-topic content. A flagged conversation earns no credit. The share
scales the quality and agentic components (see aggregate.py), so a dataset cannot
buy its score with lines that gain on one signal by cheating on another.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from dfab.scoring.signal import ScoringInput, SignalValue
from dfab.scoring.signals.base import histogram, r6, sample_evidence, store_of

WORST_CONVERSATIONS = 10


class CleanShare:
    name = "integrity.clean_share"
    group = "quality"
    description = (
        "Scale (not a weighted signal): share of conversations with no red flag from any "
        "signal. Multiplies the quality and agentic components. Its evidence lists the "
        "lowest-scoring conversations overall with their reasons."
    )

    def compute(self, data: ScoringInput) -> SignalValue:
        from dfab.scoring.conversation_scores import conversation_rows

        store = store_of(data)
        rows = conversation_rows(data)
        ev: dict[str, Any] = sample_evidence(store)
        if not rows:
            return SignalValue(0.0, {**ev, "note": "no conversations"})
        flagged = [r for r in rows if r["red_flags"]]
        counts = Counter(f for r in flagged for f in r["red_flags"])
        ev["flagged"] = len(flagged)
        ev["red_flags"] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        ev["flagged_examples"] = [
            {"id": r["id"], "red_flags": r["red_flags"], "reasons": r["reasons"][:3]}
            for r in sorted(flagged, key=lambda r: r["id"])[:5]
        ]
        if store.errors:
            ev["analysis_errors"] = store.errors
        ranked = sorted(rows, key=lambda r: (r["score"], r["id"]))
        ev["conversation_score_histogram"] = histogram([r["score"] for r in rows])
        ev["conversation_score_mean"] = r6(sum(r["score"] for r in rows) / len(rows))
        ev["worst_conversations"] = [
            {
                "id": r["id"],
                "score": r["score"],
                "credit": r["credit"],
                "red_flags": r["red_flags"],
                "reasons": r["reasons"][:4],
            }
            for r in ranked[:WORST_CONVERSATIONS]
        ]
        return SignalValue(r6(1 - len(flagged) / len(rows)), ev)
