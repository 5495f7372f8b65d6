"""Exact scoring of a pair of harnesses: similarity, containment, verdict level, regions.

Both fingerprint sets lose the excluded (base) fingerprints first; fingerprints common
to many miners are discounted from the shared count (an estimate from a sample, see
`HarnessIndex.common_share`). Regions are the places where shared fingerprints cluster,
reported as file:line ranges in both harnesses so a miner or validator can look.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from dfab.originality.fingerprint import HarnessFingerprint, Occurrence
from dfab.originality.models import CodeRange, Level, MatchedRegion, PairScore
from dfab.originality.settings import OriginalitySettings

#: Lines between two occurrences that still belong to the same region.
_REGION_GAP = 3
_MAX_REGIONS = 25


def level_of(
    similarity: float,
    containment_query: float,
    containment_candidate: float,
    shared: float,
    query_size: int,
    candidate_size: int,
    settings: OriginalitySettings,
) -> Level:
    """clean / suspicious / plagiarized from the metrics and the configured thresholds.

    Containment of one side in the other only counts when that side has enough code of
    its own (`min_fingerprints`): a tiny harness is "contained" in anything by chance.
    """
    if shared < settings.min_shared or query_size < settings.min_fingerprints:
        return "clean"
    containment = 0.0
    if query_size >= settings.min_fingerprints:
        containment = max(containment, containment_query)
    if candidate_size >= settings.min_fingerprints:
        containment = max(containment, containment_candidate)
    if (
        similarity >= settings.similarity_plagiarized
        or containment >= settings.containment_plagiarized
    ):
        return "plagiarized"
    if (
        similarity >= settings.similarity_suspicious
        or containment >= settings.containment_suspicious
    ):
        return "suspicious"
    return "clean"


def _clusters(occ: list[Occurrence]) -> list[list[Occurrence]]:
    """Occurrences grouped into runs of nearby lines within one file."""
    occ = sorted(occ, key=lambda o: (o.file, o.start, o.end))
    groups: list[list[Occurrence]] = []
    for o in occ:
        if groups:
            last = groups[-1]
            tail = max(x.end for x in last)
            if last[0].file == o.file and o.start <= tail + _REGION_GAP:
                last.append(o)
                continue
        groups.append([o])
    return groups


def matched_regions(
    query: HarnessFingerprint, candidate: HarnessFingerprint, shared: Iterable[int]
) -> list[MatchedRegion]:
    """Largest regions of shared code, as ranges in the query and in the candidate."""
    wanted = frozenset(shared)
    if not wanted:
        return []
    where: dict[int, list[Occurrence]] = defaultdict(list)
    for o in candidate.occurrences(wanted):
        where[o.hash].append(o)
    regions: list[MatchedRegion] = []
    for group in _clusters(query.occurrences(wanted)):
        hashes = {o.hash for o in group}
        partners = [o for h in hashes for o in where[h]]
        best = max(_clusters(partners), key=lambda g: len({o.hash for o in g}))
        regions.append(
            MatchedRegion(
                query=CodeRange(
                    path=query.files[group[0].file],
                    start=min(o.start for o in group),
                    end=max(o.end for o in group),
                ),
                candidate=CodeRange(
                    path=candidate.files[best[0].file],
                    start=min(o.start for o in best),
                    end=max(o.end for o in best),
                ),
                fingerprints=len(hashes & {o.hash for o in best}),
            )
        )
    regions.sort(key=lambda r: (-r.fingerprints, r.query.path, r.query.start))
    return regions[:_MAX_REGIONS]


def score_pair(
    query: HarnessFingerprint,
    candidate: HarnessFingerprint,
    settings: OriginalitySettings,
    *,
    base: frozenset[int] = frozenset(),
    common_share: float = 0.0,
    regions: bool = True,
) -> PairScore:
    """Compare `query` (the later submission) with `candidate` (an earlier one).

    `common_share` is the estimated share of the shared fingerprints that are common to
    many miners; that many shared fingerprints are removed from both sides.
    """
    q = query.distinct - base
    c = candidate.distinct - base
    shared_set = q & c
    common = round(len(shared_set) * common_share)
    shared = len(shared_set) - common
    qn, cn = len(q) - common, len(c) - common
    union = qn + cn - shared
    similarity = shared / union if union > 0 else 0.0
    cont_q = shared / qn if qn > 0 else 0.0
    cont_c = shared / cn if cn > 0 else 0.0
    level = level_of(similarity, cont_q, cont_c, shared, qn, cn, settings)
    usable_c = cont_c if cn >= settings.min_fingerprints else 0.0
    usable_q = cont_q if qn >= settings.min_fingerprints else 0.0
    return PairScore(
        similarity=round(similarity, 4),
        containment=round(max(usable_q, usable_c), 4),
        containment_query=round(cont_q, 4),
        containment_candidate=round(cont_c, 4),
        shared=shared,
        query_fingerprints=qn,
        candidate_fingerprints=cn,
        excluded_base=len(query.distinct) - len(q),
        excluded_common=common,
        level=level,
        regions=matched_regions(query, candidate, shared_set) if regions and shared else [],
    )
