"""End a submission FAILED with the reason the state machine caught."""

from __future__ import annotations

import contextlib
from typing import Any

from dfab import SCORER_VERSION
from dfab.contracts.report import ScoreReport
from dfab.contracts.submission import SubmissionStatus
from dfab.pipeline.errors import reason_from_caught_error
from dfab.pipeline.facts import ParseDocument
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.best_scores import raise_recorded_best_score
from dfab.storage.resources import Resources
from dfab.storage.submissions import TransitionRefused, get_submission, transition


def mark_failed(
    res: Resources, settings: Settings, submission_id: str, error: dict[str, Any] | None
) -> dict[str, Any]:
    """Write a FAILED report and move the record to FAILED (a no-op if already final).

    A final record keeps its verdict and its report. One case needs finishing: an
    Aggregate that completed the record and then timed out before raising the best score
    (the state machine catches the timeout into here): the best score is raised now.
    """
    reason = reason_from_caught_error(error)
    record = get_submission(res, submission_id)
    if record.status == SubmissionStatus.COMPLETED:
        raised = raise_recorded_best_score(res, record)
        return {"status": "COMPLETED", "score": record.score, "best_score_raised": raised}
    if record.status in (SubmissionStatus.REJECTED, SubmissionStatus.FAILED):
        return {"status": record.status.value, "reason": record.reason and record.reason.dump()}
    report = ScoreReport(
        submission_id=submission_id,
        hotkey=record.hotkey,
        status=SubmissionStatus.FAILED,
        score=0.0,
        scorer_version=SCORER_VERSION,
        config_hash=settings.config_hash(),
        reason=reason,
        generation=objects.get_json(res, keys.generation_result_key(submission_id)),
    )
    parsed = objects.get_json(res, keys.parse_summary_key(submission_id))
    if parsed is not None:
        report.dataset = ParseDocument.model_validate(parsed).report_view()
    objects.put_json(res, keys.report_key(submission_id), report.dump())
    # Final meanwhile (cannot happen within one execution): the first verdict stands.
    with contextlib.suppress(TransitionRefused):
        transition(
            res,
            submission_id,
            SubmissionStatus.FAILED,
            reason=reason,
            fields={"score": 0.0, "report_key": keys.report_key(submission_id)},
        )
    return {"status": "FAILED", "reason": reason.dump()}
