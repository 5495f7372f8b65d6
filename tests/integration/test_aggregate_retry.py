"""A retried Aggregate, or MarkFailed after its timeout, still records the best score."""

from __future__ import annotations

import pytest

import dfab.pipeline.aggregate as aggregate_step
from dfab.contracts.submission import SubmissionRecord, SubmissionStatus, utc_now
from dfab.dataset.summary import ParseSummary
from dfab.pipeline.facts import ParseDocument
from dfab.pipeline.mark_failed import mark_failed
from dfab.scoring.registry import GROUPS
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.best_scores import get_best_score
from dfab.storage.resources import Resources
from dfab.storage.submissions import create_submission, get_submission, transition


def _scored_submission(res: Resources, sid: str) -> None:
    now = utc_now()
    create_submission(
        res,
        SubmissionRecord(
            submission_id=sid,
            hotkey="hk",
            status=SubmissionStatus.PENDING_UPLOAD,
            created_at=now,
            updated_at=now,
            archive_key=f"uploads/hk/{sid}.zip",
        ),
    )
    for status in ("VALIDATING", "QUEUED", "GENERATING", "SCORING"):
        transition(res, sid, SubmissionStatus(status))
    summary = ParseSummary(
        total_lines=150,
        valid=150,
        invalid=0,
        valid_fraction=1.0,
        rule_counts={},
        invalid_lines=[],
    )
    doc = ParseDocument(summary=summary, requested=150)
    objects.put_json(res, keys.parse_summary_key(sid), doc.model_dump(mode="json"))
    for group in GROUPS:
        objects.put_json(res, keys.signals_key(sid, group), {"group": group, "signals": []})


def test_retry_after_a_crash_between_completion_and_best_score(
    aws: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    _scored_submission(aws, "s1")
    real = aggregate_step.raise_best_score

    def crash(*_: object, **__: object) -> bool:
        raise RuntimeError("Lambda timed out")

    monkeypatch.setattr(aggregate_step, "raise_best_score", crash)
    with pytest.raises(RuntimeError):
        aggregate_step.aggregate(aws, settings, "s1")
    assert get_submission(aws, "s1").status == SubmissionStatus.COMPLETED
    assert get_best_score(aws, "hk") is None

    monkeypatch.setattr(aggregate_step, "raise_best_score", real)
    out = aggregate_step.aggregate(aws, settings, "s1")  # the state machine's retry
    best = get_best_score(aws, "hk")
    assert best is not None and best.submission_id == "s1"
    assert best.score == get_submission(aws, "s1").score == out["score"]


def test_mark_failed_after_an_aggregate_timeout_keeps_the_completion(
    aws: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Aggregate completed the record, then timed out before the best-score write; the
    # state machine catches States.Timeout into MarkFailed, which must not overwrite the
    # COMPLETED report with a FAILED one, and must finish the best score.
    settings = Settings()
    _scored_submission(aws, "s2")

    def timeout(*_: object, **__: object) -> bool:
        raise RuntimeError("Task timed out after 60.00 seconds")

    monkeypatch.setattr(aggregate_step, "raise_best_score", timeout)
    with pytest.raises(RuntimeError):
        aggregate_step.aggregate(aws, settings, "s2")
    completed_report = objects.get_json(aws, keys.report_key("s2"))
    assert completed_report is not None and completed_report["status"] == "COMPLETED"

    error = {"Error": "States.Timeout", "Cause": "Task timed out after 60.00 seconds"}
    out = mark_failed(aws, settings, "s2", error)
    record = get_submission(aws, "s2")
    assert out["status"] == "COMPLETED" and out["best_score_raised"] is True
    assert record.status == SubmissionStatus.COMPLETED
    assert objects.get_json(aws, keys.report_key("s2")) == completed_report
    best = get_best_score(aws, "hk")
    assert best is not None and best.submission_id == "s2" and best.score == record.score
    # A repeat is harmless: the conditional write keeps the score, nothing else moves.
    assert mark_failed(aws, settings, "s2", error)["best_score_raised"] is False


def test_mark_failed_twice_keeps_the_first_reason_and_report(aws: Resources) -> None:
    settings = Settings()
    _scored_submission(aws, "s3")
    first = mark_failed(aws, settings, "s3", {"Error": "States.Timeout", "Cause": "scoring"})
    report = objects.get_json(aws, keys.report_key("s3"))
    assert report is not None and report["status"] == "FAILED"
    second = mark_failed(aws, settings, "s3", {"Error": "Lambda.Unknown", "Cause": "other"})
    assert second["reason"] == first["reason"]
    assert objects.get_json(aws, keys.report_key("s3")) == report
    assert get_submission(aws, "s3").status == SubmissionStatus.FAILED
    assert get_best_score(aws, "hk") is None
