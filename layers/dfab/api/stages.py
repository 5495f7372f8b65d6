"""Stage durations from submission timelines, and the percentiles GET /health reports.

Every status change is stamped in the record's timeline, so the time a stage took is
the gap between entering one status and entering the next. Which gaps make a stage:

| stage        | from           | to                  | what ran                                  |
|--------------|----------------|---------------------|-------------------------------------------|
| upload       | PENDING_UPLOAD | VALIDATING          | the miner's upload, S3 -> SQS delivery    |
| validation   | VALIDATING     | QUEUED, REJECTED    | archive checks, review, StartExecution    |
| queue_wait   | QUEUED         | GENERATING          | execution start, task preparation         |
| generation   | GENERATING     | SCORING             | the sandbox generation task, parsing      |
| scoring      | SCORING        | COMPLETED           | verification task, signals, aggregation   |
| evaluation   | QUEUED         | COMPLETED, FAILED   | the whole state-machine execution         |
| end_to_end   | VALIDATING     | any final status    | from the upload to the verdict            |
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from dfab.contracts.submission import TERMINAL_STATUSES, SubmissionStatus

S = SubmissionStatus
#: stage -> (from status, statuses that end it), in the order /health lists them.
STAGES: dict[str, tuple[SubmissionStatus, frozenset[SubmissionStatus]]] = {
    "upload": (S.PENDING_UPLOAD, frozenset({S.VALIDATING})),
    "validation": (S.VALIDATING, frozenset({S.QUEUED, S.REJECTED})),
    "queue_wait": (S.QUEUED, frozenset({S.GENERATING})),
    "generation": (S.GENERATING, frozenset({S.SCORING})),
    "scoring": (S.SCORING, frozenset({S.COMPLETED})),
    "evaluation": (S.QUEUED, frozenset({S.COMPLETED, S.FAILED})),
    "end_to_end": (S.VALIDATING, frozenset(TERMINAL_STATUSES)),
}


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def stage_durations(timeline: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Seconds each stage took in one timeline (stages it never went through are absent)."""
    entered: dict[SubmissionStatus, float] = {}
    for event in timeline:
        try:
            status = SubmissionStatus(event["status"])
            at = _seconds(str(event["at"]))
        except (KeyError, ValueError):
            continue  # a malformed event must not hide the rest
        entered.setdefault(status, at)
    out: dict[str, float] = {}
    for stage, (start, ends) in STAGES.items():
        ended = [entered[e] for e in ends if e in entered]
        if start in entered and ended:
            out[stage] = max(0.0, min(ended) - entered[start])
    return out


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in (0, 100]) of already sorted values."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(timelines: Iterable[Sequence[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per stage: how many timelines went through it, p50, p95 and max seconds."""
    samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for timeline in timelines:
        for stage, seconds in stage_durations(timeline).items():
            samples[stage].append(seconds)
    out: dict[str, dict[str, Any]] = {}
    for stage, values in samples.items():
        values.sort()
        out[stage] = {
            "count": len(values),
            "p50_s": round(percentile(values, 50), 3) if values else None,
            "p95_s": round(percentile(values, 95), 3) if values else None,
            "max_s": round(values[-1], 3) if values else None,
        }
    return out
