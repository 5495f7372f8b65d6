"""Verifiability: conversations whose code is proven by a meaningful test that passed.

value = (share of conversations whose verification block is statically meaningful)
      x (pass rate of the sandbox-run sample, counting a pass only for meaningful blocks)

Conversations without a block count as unverified. The contract parser already
guarantees that solution files appear in the conversation; the static check
(`verification_static`) guarantees that the tests could fail for a wrong answer.
A block that exists but proves nothing is a red flag: it claims a verification it
does not have.
"""

from __future__ import annotations

from typing import Any

from dfab.scoring.extract.analysis import ConversationAnalysis
from dfab.scoring.extract.store import FeatureStore, Measure
from dfab.scoring.extract.verification_static import check_verification
from dfab.scoring.signal import ScoringInput, SignalValue
from dfab.scoring.signals.base import histogram, r6, sample_evidence, store_of, worst

_RAN = ("pass", "fail", "timeout", "error")


class VerifiedShare:
    name = "verifiability.verified_share"
    group = "agentic"
    description = (
        "Share of conversations with a meaningful verification block (its tests import or run "
        "the solution files and make non-trivial assertions; no rigging) times the pass rate "
        "of the seeded sample the sandbox ran. No block counts as unverified."
    )

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        block = a.view.verification
        if not block:
            return Measure(0.0, "no verification block")
        verdict = check_verification(block)
        if not verdict.meaningful:
            return Measure(
                0.0, f"verification proves nothing: {verdict.reason}", flag="vacuous_verification"
            )
        return Measure(1.0, verdict.reason)

    def compute(self, data: ScoringInput) -> SignalValue:
        store = store_of(data)
        measures = store.measures[self.name]
        ids = store.analysed_ids()
        ev = sample_evidence(store)
        if not measures:
            return SignalValue(0.0, {**ev, "note": "no conversations"})
        static = sum(m.value or 0.0 for m in measures) / len(measures)
        with_block = sum(1 for m in measures if m.reason != "no verification block")
        meaningful = {cid for cid, m in zip(ids, measures, strict=True) if m.value}
        ev.update(
            with_block=with_block,
            meaningful=len(meaningful),
            static_share=r6(static),
            histogram=histogram([m.value or 0.0 for m in measures]),
            worst=worst(ids, measures),
        )
        vacuous = [
            {"id": cid, "reason": m.reason} for cid, m in zip(ids, measures, strict=True) if m.flag
        ]
        if vacuous:
            ev["vacuous"] = len(vacuous)
            ev["worst"] = vacuous[:5]
        rate, detail = _pass_rate(data.verification, meaningful)
        ev.update(detail)
        if rate is None:
            return SignalValue(r6(static), ev)
        return SignalValue(r6(static * rate), ev)


def _pass_rate(
    doc: dict[str, Any] | None, meaningful: set[str]
) -> tuple[float | None, dict[str, Any]]:
    """Pass rate of the sandbox sample; a pass of a meaningless block does not count."""
    if doc is None:
        return None, {"sandbox": "not run here: the value counts statically meaningful blocks"}
    results = [r for r in doc.get("results") or [] if isinstance(r, dict)]
    ran = [r for r in results if r.get("outcome") in _RAN]
    if doc.get("exit_reason") == "not_run" or (not ran and not results):
        return None, {
            "sandbox": "the verification task did not run",
            "sandbox_reason": doc.get("reason"),
        }
    if not ran:
        return 0.0, {"sandbox": "every sampled block was skipped", "sandbox_ran": 0}
    passed = [
        r for r in ran if r.get("outcome") == "pass" and r.get("conversation_id") in meaningful
    ]
    failing = [
        {
            "id": r.get("conversation_id"),
            "outcome": r.get("outcome"),
            "detail": str(r.get("detail", ""))[:200],
        }
        for r in ran
        if r.get("outcome") != "pass"
    ]
    return len(passed) / len(ran), {
        "sandbox_ran": len(ran),
        "sandbox_passed": sum(1 for r in ran if r.get("outcome") == "pass"),
        "sandbox_counted": len(passed),
        "sandbox_pass_rate": r6(len(passed) / len(ran)),
        "sandbox_failures": sorted(failing, key=lambda x: str(x["id"]))[:5],
    }
