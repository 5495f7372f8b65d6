"""`judge_harness`: clean / suspicious / plagiarized, against the earliest other miner.

Rules, in order:
1. only the harness's own code counts (base code removed); with fewer than
   `min_fingerprints` own fingerprints there is nothing to judge (clean);
2. only submissions created earlier are compared; a miner's own resubmissions are
   never plagiarism, and an other miner's match that is *later* than this miner's own
   earliest matching submission does not count either (first seen wins: that other
   miner was the later one);
3. the verdict is the highest level reached; it names the earliest other-miner
   submission at that level, with similarity, containment and the matched regions.
"""

from __future__ import annotations

from dfab.originality.compare import score_pair
from dfab.originality.fingerprint import HarnessFingerprint
from dfab.originality.harness_index import HarnessIndex
from dfab.originality.models import HarnessMatch, OriginalityVerdict, SubmissionRef, level_rank
from dfab.originality.params import SAMPLE_MOD
from dfab.originality.settings import OriginalitySettings

_REPORTED_MATCHES = 5
_REPORTED_REGIONS = 3


def _score_candidates(
    index: HarnessIndex,
    ref: SubmissionRef,
    fp: HarnessFingerprint,
    settings: OriginalitySettings,
) -> tuple[list[HarnessMatch], set[str], int]:
    """Exact scores of the usable candidates, the ids found by exact hash, and their count."""
    found = index.candidates(fp)
    common = found.common(settings.common_min_hotkeys)
    own = index.own(fp)
    usable = [
        c
        for c in found.candidates
        if c.member.ref.order < ref.order
        and c.member.ref.submission_id != ref.submission_id
        and (c.exact or c.band_hits >= 1 or c.sample_hits >= 2)
    ][: settings.max_candidates]
    matches: list[HarnessMatch] = []
    for cand in usable:
        other = index.load(cand.member.ref.submission_id)
        if other is None:
            continue
        shared = own & index.own(other)
        shared_sample = [f for f in shared if f % SAMPLE_MOD == 0]
        common_share = (
            sum(1 for f in shared_sample if f in common) / len(shared_sample)
            if shared_sample
            else 0.0
        )
        score = score_pair(fp, other, settings, base=index.base, common_share=common_share)
        matches.append(
            HarnessMatch(
                candidate=cand.member.ref, own=cand.member.ref.hotkey == ref.hotkey, score=score
            )
        )
    exact = {c.member.ref.submission_id for c in usable if c.exact}
    return matches, exact, len(usable)


def _message(verdict: str, against: HarnessMatch | None, own_count: int) -> str:
    if against is None:
        return (
            f"{verdict}: no earlier submission of another miner shares enough of this harness's "
            f"{own_count} own fingerprints (published example code excluded)"
        )
    s = against.score
    c = against.candidate
    regions = "; ".join(f"{r.query} ~ {r.candidate}" for r in s.regions[:_REPORTED_REGIONS])
    return (
        f"{verdict}: this harness matches submission {c.submission_id} (hotkey {c.hotkey}, "
        f"created {c.created_at}): similarity {s.similarity:.2f}, {s.containment_query:.0%} of "
        f"this harness's own code is found there and {s.containment_candidate:.0%} of that "
        f"harness's code is found here (published example code and code common to many miners "
        f"excluded). Matched regions (here ~ there): {regions or 'see the report'}. Check with "
        "`dfab compare`; disputes: docs/validator/originality.md"
    )


def judge_harness(
    index: HarnessIndex,
    ref: SubmissionRef,
    fp: HarnessFingerprint,
    settings: OriginalitySettings,
) -> OriginalityVerdict:
    """Verdict for submission `ref` with fingerprints `fp` against everything indexed."""
    own_count = len(index.own(fp))
    if own_count < settings.min_fingerprints:
        return OriginalityVerdict(
            submission_id=ref.submission_id,
            hotkey=ref.hotkey,
            verdict="clean",
            fingerprints=own_count,
            message=(
                f"clean: only {own_count} fingerprints of this harness are its own after removing "
                "the published example code; too little to compare (its dataset originality "
                "still counts)"
            ),
        )
    matches, exact, checked = _score_candidates(index, ref, fp, settings)
    flagged = [m for m in matches if m.score.level != "clean"]
    own_first = min((m.candidate.order for m in flagged if m.own), default=None)
    others = [
        m for m in flagged if not m.own and (own_first is None or m.candidate.order < own_first)
    ]
    against: HarnessMatch | None = None
    if others:
        top = max(level_rank(m.score.level) for m in others)
        against = min(
            (m for m in others if level_rank(m.score.level) == top), key=lambda m: m.candidate.order
        )
    verdict = against.score.level if against else "clean"
    reported = sorted(
        matches, key=lambda m: (-level_rank(m.score.level), -m.score.similarity, m.candidate.order)
    )[:_REPORTED_MATCHES]
    return OriginalityVerdict(
        submission_id=ref.submission_id,
        hotkey=ref.hotkey,
        verdict=verdict,
        similarity=against.score.similarity if against else 0.0,
        containment=against.score.containment if against else 0.0,
        against=against.candidate if against else None,
        score=against.score if against else None,
        exact_match=bool(against and against.candidate.submission_id in exact),
        fingerprints=own_count,
        candidates_checked=checked,
        message=_message(verdict, against, own_count),
        matches=reported,
    )
