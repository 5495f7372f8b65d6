"""Submission records and best scores on moto's DynamoDB semantics."""

from __future__ import annotations

import threading

import pytest

from dfab.contracts.reasons import Reason, ReasonClass
from dfab.contracts.submission import SubmissionRecord, SubmissionStatus, utc_now
from dfab.storage.best_scores import get_best_score, list_best_scores, raise_best_score
from dfab.storage.resources import Resources
from dfab.storage.submissions import (
    SubmissionNotFound,
    TransitionRefused,
    create_submission,
    get_submission,
    transition,
)


def _record(sid: str = "sub-1", hotkey: str = "hk") -> SubmissionRecord:
    now = utc_now()
    return SubmissionRecord(
        submission_id=sid,
        hotkey=hotkey,
        status=SubmissionStatus.PENDING_UPLOAD,
        created_at=now,
        updated_at=now,
        archive_key=f"uploads/{hotkey}/{sid}.zip",
    )


def test_create_then_get_round_trips(aws: Resources) -> None:
    create_submission(aws, _record())
    got = get_submission(aws, "sub-1")
    assert got.status == SubmissionStatus.PENDING_UPLOAD
    assert [e.status for e in got.timeline] == [SubmissionStatus.PENDING_UPLOAD]


def test_ids_are_never_reused(aws: Resources) -> None:
    create_submission(aws, _record())
    with pytest.raises(Exception, match="ConditionalCheckFailed"):
        create_submission(aws, _record())


def test_transitions_move_forward_and_keep_a_timeline(aws: Resources) -> None:
    create_submission(aws, _record())
    for status in (
        SubmissionStatus.VALIDATING,
        SubmissionStatus.QUEUED,
        SubmissionStatus.GENERATING,
        SubmissionStatus.SCORING,
    ):
        transition(aws, "sub-1", status)
    reason = Reason(reason_class=ReasonClass.HARNESS_EXIT, message="exit 3")
    done = transition(aws, "sub-1", SubmissionStatus.FAILED, reason=reason, fields={"score": 0.0})
    assert done.status == SubmissionStatus.FAILED
    assert done.reason == reason
    assert done.score == 0.0
    assert [e.status.value for e in done.timeline] == [
        "PENDING_UPLOAD",
        "VALIDATING",
        "QUEUED",
        "GENERATING",
        "SCORING",
        "FAILED",
    ]
    assert done.timeline[-1].reason == reason


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (SubmissionStatus.GENERATING, SubmissionStatus.QUEUED),
        (SubmissionStatus.GENERATING, SubmissionStatus.GENERATING),
        (SubmissionStatus.COMPLETED, SubmissionStatus.FAILED),
        (SubmissionStatus.FAILED, SubmissionStatus.COMPLETED),
        (SubmissionStatus.REJECTED, SubmissionStatus.QUEUED),
    ],
)
def test_no_status_ever_goes_backwards_or_leaves_a_final_one(
    aws: Resources, first: SubmissionStatus, then: SubmissionStatus
) -> None:
    create_submission(aws, _record())
    transition(aws, "sub-1", first)
    with pytest.raises(TransitionRefused):
        transition(aws, "sub-1", then)
    assert get_submission(aws, "sub-1").status == first


def test_transition_of_unknown_submission(aws: Resources) -> None:
    with pytest.raises(SubmissionNotFound):
        transition(aws, "nope", SubmissionStatus.VALIDATING)


def test_best_score_only_rises_and_ties_keep_the_earlier(aws: Resources) -> None:
    kw = {"hotkey": "hk", "scorer_version": "1", "completed_at": "2026-01-01T00:00:00Z"}
    assert raise_best_score(aws, score=0.5, submission_id="a", **kw)
    assert not raise_best_score(aws, score=0.4, submission_id="b", **kw)
    assert not raise_best_score(aws, score=0.5, submission_id="c", **kw)
    assert raise_best_score(aws, score=0.7, submission_id="d", **kw)
    best = get_best_score(aws, "hk")
    assert best is not None and (best.submission_id, best.score) == ("d", 0.7)
    assert get_best_score(aws, "other") is None


def test_concurrent_completions_never_lose_the_best_score(aws: Resources) -> None:
    scores = [round(0.01 * i, 2) for i in range(1, 41)]
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(chunk: list[float]) -> None:
        try:
            barrier.wait()
            for s in chunk:
                raise_best_score(
                    aws,
                    hotkey="hk",
                    score=s,
                    submission_id=f"s{s}",
                    scorer_version="1",
                    completed_at=utc_now(),
                )
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(scores[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    best = get_best_score(aws, "hk")
    assert best is not None and best.score == max(scores)
    assert [e.hotkey for e in list_best_scores(aws)] == ["hk"]
