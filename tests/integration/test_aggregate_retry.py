"""A retried Aggregate still records the best score its first attempt did not reach."""

from __future__ import annotations

import pytest

import dfab.pipeline.aggregate as aggregate_step
from dfab.contracts.submission import SubmissionRecord, SubmissionStatus, utc_now
from dfab.dataset.summary import ParseSummary
from dfab.pipeline.facts import ParseDocument
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
