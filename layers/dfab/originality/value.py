"""`originality_value`: the scorer's originality component in [0, 1], with its evidence.

value = harness factor x dataset factor, so both must be original to score well:
- harness factor: 1 when clean; when suspicious it falls linearly from 1 (at the
  suspicious thresholds) to 1 - `suspicious_penalty` (at the plagiarism thresholds),
  following whichever of similarity and containment is further along; 0 if plagiarized
  (such a submission is rejected before scoring anyway);
- dataset factor: 1 - the share of conversations first seen in other miners' datasets.
A part that was not checked counts as 1 and the evidence says so.
"""

from __future__ import annotations

from dfab.originality.models import DatasetOriginality, OriginalityValue, OriginalityVerdict
from dfab.originality.settings import OriginalitySettings


def _progress(value: float, low: float, high: float) -> float:
    if high <= low:
        return 1.0 if value >= high else 0.0
    return min(1.0, max(0.0, (value - low) / (high - low)))


def harness_factor(verdict: OriginalityVerdict, settings: OriginalitySettings) -> float:
    if verdict.verdict == "clean":
        return 1.0
    if verdict.verdict == "plagiarized":
        return 0.0
    along = max(
        _progress(
            verdict.similarity, settings.similarity_suspicious, settings.similarity_plagiarized
        ),
        _progress(
            verdict.containment, settings.containment_suspicious, settings.containment_plagiarized
        ),
    )
    return round(1.0 - settings.suspicious_penalty * along, 4)


def originality_value(
    harness: OriginalityVerdict | None,
    dataset: DatasetOriginality | None,
    settings: OriginalitySettings,
) -> OriginalityValue:
    h = harness_factor(harness, settings) if harness is not None else 1.0
    d = round(1.0 - dataset.duplicate_share, 4) if dataset is not None else 1.0
    evidence: dict[str, object] = {}
    if harness is None:
        evidence["harness"] = "not checked"
    else:
        evidence["harness"] = {
            "verdict": harness.verdict,
            "similarity": harness.similarity,
            "containment": harness.containment,
            "against": harness.against.submission_id if harness.against else None,
            "own_fingerprints": harness.fingerprints,
        }
    if dataset is None:
        evidence["dataset"] = "not checked"
    else:
        evidence["dataset"] = {
            "checked": dataset.checked,
            "exact_duplicates": dataset.exact_duplicates,
            "near_duplicates": dataset.near_duplicates,
            "duplicate_share": dataset.duplicate_share,
            "sources": dict(list(dataset.sources.items())[:10]),
        }
    return OriginalityValue(
        value=round(h * d, 4), harness_factor=h, dataset_factor=d, evidence=evidence
    )
