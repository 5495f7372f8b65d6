"""The last step: weigh the signals, write the report, complete, raise the best score."""

from __future__ import annotations

from typing import Any

from dfab.contracts.reasons import ReasonClass
from dfab.contracts.report import SignalResult
from dfab.contracts.submission import SubmissionStatus, utc_now
from dfab.pipeline.errors import StageFailed
from dfab.pipeline.facts import ParseDocument
from dfab.scoring.aggregate import build_report
from dfab.scoring.registry import GROUPS
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.best_scores import raise_best_score, raise_recorded_best_score
from dfab.storage.resources import Resources
from dfab.storage.submissions import TransitionRefused, get_submission, transition


def aggregate(res: Resources, settings: Settings, submission_id: str) -> dict[str, Any]:
    record = get_submission(res, submission_id)
    raw = objects.get_json(res, keys.parse_summary_key(submission_id))
    if raw is None:
        raise StageFailed(ReasonClass.INTERNAL, "the parse step left no summary")
    parsed = ParseDocument.model_validate(raw)
    signals: list[SignalResult] = []
    for group in GROUPS:
        doc = objects.get_json(res, keys.signals_key(submission_id, group))
        if doc is None:
            raise StageFailed(ReasonClass.INTERNAL, f"signal group {group!r} was not scored")
        signals.extend(SignalResult.model_validate(s) for s in doc["signals"])
    report = build_report(
        submission_id=submission_id,
        hotkey=record.hotkey,
        facts=parsed.facts(),
        signals=signals,
        settings=settings,
    )
    report.dataset = parsed.report_view()
    report.generation = objects.get_json(res, keys.generation_result_key(submission_id))
    report.verification = objects.get_json(res, keys.verification_result_key(submission_id))
    objects.put_json(res, keys.report_key(submission_id), report.dump())
    completed_at = utc_now()
    try:
        transition(
            res,
            submission_id,
            SubmissionStatus.COMPLETED,
            reason=report.reason,
            fields={
                "score": report.score,
                "report_key": keys.report_key(submission_id),
                "scorer_version": report.scorer_version,
                "config_hash": report.config_hash,
                "completed_at": completed_at,
            },
        )
    except TransitionRefused:
        # A retried Aggregate whose first attempt completed the record but died before
        # raising the best score: finish that part with the recorded values.
        done = get_submission(res, submission_id)
        if done.status != SubmissionStatus.COMPLETED or done.score is None:
            raise
        raised = raise_recorded_best_score(res, done)
        return {"status": "COMPLETED", "score": done.score, "best_score_raised": raised}
    raised = raise_best_score(
        res,
        hotkey=record.hotkey,
        score=report.score,
        submission_id=submission_id,
        scorer_version=report.scorer_version,
        completed_at=completed_at,
    )
    return {"status": "COMPLETED", "score": report.score, "best_score_raised": raised}
