"""GET /weights, /leaderboard, /miners/{hotkey}, /health, /ping through the real resolver.

Events are API Gateway REST proxy events (with the authorizer's context where API
Gateway would add it); storage is moto. The weights must be exactly CONTRACTS.md §4 and
list completed evaluations only; pages must be stable while scores change.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from api_support import (
    AUTHORIZED,
    FakeClock,
    call,
    hotkey,
    make_services,
    put_submission,
)

from dfab import SCORER_VERSION
from dfab.api.ranking import SETTLE_S, RankingCache
from dfab.api.services import ApiServices, QueueUrls
from dfab.api.settings import ApiSettings
from dfab.contracts.reasons import ReasonClass, VerdictError
from dfab.contracts.report import WeightsResponse
from dfab.contracts.submission import SubmissionStatus
from dfab.intake.timefmt import iso
from dfab.pipeline.validate import reject
from dfab.settings import Settings
from dfab.storage.best_scores import best_score_item, raise_best_score
from dfab.storage.resources import Resources
from dfab.storage.submissions import get_submission

S = SubmissionStatus
NOW = 1_790_000_000.0  # 2026-09-21T...Z: a fixed "now" for the health windows


def _complete(res: Resources, sid: str, hk: str, score: float, at: str) -> None:
    """What aggregate does for a completed evaluation: the record, then the best score."""
    put_submission(
        res,
        sid,
        hk,
        [(S.PENDING_UPLOAD, at), (S.VALIDATING, at), (S.QUEUED, at), (S.COMPLETED, at)],
        score=score,
    )
    raise_best_score(
        res, hotkey=hk, score=score, submission_id=sid, scorer_version=SCORER_VERSION,
        completed_at=at,
    )  # fmt: skip


@pytest.fixture
def services(aws: Resources) -> ApiServices:
    return make_services(aws)


# -- GET /weights -------------------------------------------------------------------------


def test_weights_refuse_a_request_the_authorizer_did_not_admit(services: ApiServices) -> None:
    reply = call(services, "GET", "/weights")
    assert reply.status == 401 and reply.doc["code"] == "UNAUTHORIZED"
    other = call(services, "GET", "/weights", authorizer={"principalId": "someone-else"})
    assert other.status == 401


def test_weights_list_completed_evaluations_only(services: ApiServices) -> None:
    res = services.resources
    t = "2026-11-25T10:00:00.000Z"
    _complete(res, "done-a1", hotkey(1), 0.61, t)
    _complete(res, "done-a2", hotkey(1), 0.55, "2026-11-25T11:00:00.000Z")  # lower: not best
    _complete(res, "done-b", hotkey(2), 0.0, t)  # completed, gated to 0: still a score
    _complete(res, "done-c", hotkey(3), 0.9, t)
    # Miners whose evaluations never completed.
    put_submission(res, "fail-d", hotkey(4), [(S.VALIDATING, t), (S.FAILED, t)],
                   reason={"class": "HARNESS_EXIT", "message": "exit 3"}, score=0.0)  # fmt: skip
    put_submission(res, "rej-e", hotkey(5), [(S.VALIDATING, t), (S.REJECTED, t)],
                   reason={"class": "LINK", "message": "a symlink"}, score=0.0)  # fmt: skip
    put_submission(res, "run-f", hotkey(6), [(S.QUEUED, t), (S.GENERATING, t)])

    reply = call(services, "GET", "/weights", authorizer=AUTHORIZED)
    assert reply.status == 200, reply.doc
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["Cache-Control"] == "no-store"
    doc = reply.doc
    # Exactly the §4 shape: these keys, nothing else.
    assert set(doc) == {"challenge", "scorer_version", "generated_at", "weights"}
    assert doc["challenge"] == "data-fabrication"
    assert doc["scorer_version"] == SCORER_VERSION
    assert doc["generated_at"].endswith("Z")
    WeightsResponse.model_validate(doc)
    assert all(
        set(w) == {"hotkey", "score", "submission_id", "completed_at"} for w in doc["weights"]
    )
    assert [(w["hotkey"], w["score"], w["submission_id"]) for w in doc["weights"]] == [
        (hotkey(3), 0.9, "done-c"),
        (hotkey(1), 0.61, "done-a1"),
        (hotkey(2), 0.0, "done-b"),
    ]
    assert all(0 <= w["score"] <= 1 for w in doc["weights"])


def test_weights_with_no_completed_evaluation_are_empty(services: ApiServices) -> None:
    reply = call(services, "GET", "/weights", authorizer=AUTHORIZED)
    assert reply.status == 200 and reply.doc["weights"] == []


def test_weights_follow_every_change_at_once_and_cache_otherwise(aws: Resources) -> None:
    # The wall clock is an hour past the changes: none of them is still settling.
    mono, wall = FakeClock(100.0), FakeClock(time.time() + 3600)
    services = make_services(
        aws, ApiSettings(ranking_max_age_s=60), ranking=RankingCache(clock=mono, wall=wall)
    )
    _complete(aws, "s1", hotkey(1), 0.5, "2026-11-25T10:00:00.000Z")
    first = call(services, "GET", "/weights", authorizer=AUTHORIZED).doc
    assert [w["hotkey"] for w in first["weights"]] == [hotkey(1)]
    # A raise bumps the ranking version: the next request sees it, no waiting.
    _complete(aws, "s2", hotkey(2), 0.7, "2026-11-25T10:01:00.000Z")
    mono.now += 1
    second = call(services, "GET", "/weights", authorizer=AUTHORIZED).doc
    assert [w["hotkey"] for w in second["weights"]] == [hotkey(2), hotkey(1)]
    # Without a change, the same ranking (same generated_at) is served up to the max age.
    mono.now += 30
    assert call(services, "GET", "/weights", authorizer=AUTHORIZED).doc == second
    # A change that bypassed the version (a missed bump) shows at the max age.
    aws.dynamodb.put_item(
        TableName=aws.best_scores_table,
        Item=best_score_item(hotkey=hotkey(3), score=0.9, submission_id="s3",
                             scorer_version=SCORER_VERSION,
                             completed_at="2026-11-25T10:02:00.000Z"),
    )  # fmt: skip
    mono.now += 20
    assert call(services, "GET", "/weights", authorizer=AUTHORIZED).doc == second
    mono.now += 15
    third = call(services, "GET", "/weights", authorizer=AUTHORIZED).doc
    assert third["weights"][0]["hotkey"] == hotkey(3)


def test_a_ranking_read_right_after_a_change_is_kept_briefly(aws: Resources) -> None:
    """The rank index may lag a change by a moment: such a read is not kept for long."""
    mono = FakeClock(100.0)
    cache = RankingCache(clock=mono, wall=time.time)  # the change is "now"
    _complete(aws, "s1", hotkey(1), 0.5, "2026-11-25T10:00:00.000Z")
    ranking = cache.get(aws, max_age_s=60)
    assert ranking.expires == 100.0 + SETTLE_S


# -- GET /leaderboard ---------------------------------------------------------------------


def _seed_ranking(res: Resources, n: int) -> None:
    for i in range(n):
        # Scores collide in threes: ties are ordered by completion time, then hotkey.
        _complete(res, f"s{i}", hotkey(i), round(0.9 - (i // 3) * 0.05, 2),
                  f"2026-11-25T10:{59 - i:02d}:00.000Z")  # fmt: skip


def _walk(services: ApiServices, limit: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        reply = call(services, "GET", "/leaderboard", query=query)
        assert reply.status == 200, reply.doc
        assert len(reply.doc["entries"]) <= limit
        entries.extend(reply.doc["entries"])
        cursor = reply.doc["next_cursor"]
        if cursor is None:
            return entries
    raise AssertionError("the cursor never ended")


def test_leaderboard_pages_cover_the_ranking_exactly_once(services: ApiServices) -> None:
    _seed_ranking(services.resources, 23)
    full = _walk(services, 50)
    assert len(full) == 23
    keys = [(-e["score"], e["completed_at"], e["hotkey"]) for e in full]
    assert keys == sorted(keys), "highest score first, ties: earlier completion first"
    assert [e["rank"] for e in full] == list(range(1, 24))
    for limit in (1, 4, 7, 23):
        assert _walk(services, limit) == full
    weights = call(services, "GET", "/weights", authorizer=AUTHORIZED).doc["weights"]
    assert [w["hotkey"] for w in weights] == [e["hotkey"] for e in full]


def test_leaderboard_cursor_is_stable_while_scores_change(services: ApiServices) -> None:
    res = services.resources
    _seed_ranking(res, 12)
    first = call(services, "GET", "/leaderboard", query={"limit": "4"}).doc
    seen = {e["hotkey"] for e in first["entries"]}
    # Meanwhile: a miner further down jumps to the top, a new miner enters at the top.
    _complete(res, "jump", hotkey(10), 0.99, "2026-11-25T12:00:00.000Z")
    _complete(res, "new", hotkey(99), 0.98, "2026-11-25T12:00:00.000Z")
    rest: list[dict[str, Any]] = []
    cursor = first["next_cursor"]
    while cursor:
        page = call(services, "GET", "/leaderboard", query={"limit": "4", "cursor": cursor}).doc
        rest.extend(page["entries"])
        cursor = page["next_cursor"]
    later = [e["hotkey"] for e in rest]
    assert not seen & set(later), "no entry of page 1 comes again"
    unchanged = {hotkey(i) for i in range(12)} - seen - {hotkey(10)}
    assert unchanged <= set(later), "no unchanged entry is skipped"
    assert hotkey(99) not in later  # it entered above the cursor
    assert len(later) == len(set(later))


def test_leaderboard_bounds_and_bad_cursors(services: ApiServices) -> None:
    _seed_ranking(services.resources, 3)
    default = call(services, "GET", "/leaderboard")
    assert default.status == 200 and len(default.doc["entries"]) == 3
    assert default.doc["next_cursor"] is None
    assert default.headers["Cache-Control"].startswith("public")
    for bad in ("0", "-1", "1001", "abc"):
        reply = call(services, "GET", "/leaderboard", query={"limit": bad})
        assert reply.status == 400 and reply.doc["code"] == "BAD_REQUEST", bad
    over = call(services, "GET", "/leaderboard", query={"limit": "201"})  # > max setting
    assert over.status == 400 and "200" in over.doc["message"]
    for cursor in ("nonsense", "eyJ2IjoxfQ", "e30", "x" * 3000):
        reply = call(services, "GET", "/leaderboard", query={"cursor": cursor})
        assert reply.status == 400 and reply.doc["code"] in ("BAD_CURSOR", "BAD_REQUEST"), cursor


# -- GET /miners/{hotkey} -----------------------------------------------------------------


def test_miner_shows_best_score_and_pages_submissions(services: ApiServices) -> None:
    res = services.resources
    hk = hotkey(7)
    for i in range(5):
        at = f"2026-11-25T1{i}:00:00.000Z"
        _complete(res, f"m{i}", hk, 0.1 * (i + 1) if i != 3 else 0.05, at)
    put_submission(res, "m5", hk, [(S.PENDING_UPLOAD, "2026-11-25T16:00:00.000Z"),
                                   (S.VALIDATING, "2026-11-25T16:00:01.000Z"),
                                   (S.REJECTED, "2026-11-25T16:00:02.000Z")],
                   reason={"class": "LINK", "message": "a symlink"}, score=0.0)  # fmt: skip
    put_submission(res, "other", hotkey(8), [(S.QUEUED, "2026-11-25T17:00:00.000Z")])

    first = call(services, "GET", f"/miners/{hk}", query={"limit": "4"})
    assert first.status == 200, first.doc
    doc = first.doc
    assert doc["hotkey"] == hk
    assert doc["best"] == {"score": 0.5, "submission_id": "m4",
                           "completed_at": "2026-11-25T14:00:00.000Z",
                           "scorer_version": SCORER_VERSION}  # fmt: skip
    assert [s["submission_id"] for s in doc["submissions"]] == ["m5", "m4", "m3", "m2"]
    assert doc["submissions"][0]["reason"] == {"class": "LINK", "message": "a symlink"}
    assert doc["submissions"][0]["final"] is True
    second = call(
        services, "GET", f"/miners/{hk}", query={"limit": "4", "cursor": doc["next_cursor"]}
    ).doc
    assert [s["submission_id"] for s in second["submissions"]] == ["m1", "m0"]
    assert second["next_cursor"] is None

    # A cursor belongs to its miner and its listing.
    stolen = call(services, "GET", f"/miners/{hotkey(8)}", query={"cursor": doc["next_cursor"]})
    assert stolen.status == 400 and stolen.doc["code"] == "BAD_CURSOR"
    board = call(services, "GET", "/leaderboard", query={"cursor": doc["next_cursor"]})
    assert board.status == 400 and board.doc["code"] == "BAD_CURSOR"


def test_miner_without_completion_and_unknown_miner(services: ApiServices) -> None:
    put_submission(services.resources, "q", hotkey(8), [(S.QUEUED, "2026-11-25T17:00:00.000Z")])
    doc = call(services, "GET", f"/miners/{hotkey(8)}").doc
    assert doc["best"] is None and [s["status"] for s in doc["submissions"]] == ["QUEUED"]
    unknown = call(services, "GET", f"/miners/{hotkey(9)}")
    assert unknown.status == 404 and unknown.doc["code"] == "NOT_FOUND"
    bad = call(services, "GET", "/miners/not-an-address!")
    assert bad.status == 400 and bad.doc["code"] == "BAD_REQUEST"


# -- GET /submissions/{id}: the report once final -----------------------------------------


def test_submission_view_includes_the_report_once_final(services: ApiServices) -> None:
    res = services.resources
    put_submission(res, "r1", hotkey(1), [(S.PENDING_UPLOAD, "2026-11-25T10:00:00.000Z"),
                                         (S.VALIDATING, "2026-11-25T10:00:01.000Z")])  # fmt: skip
    running = call(services, "GET", "/submissions/r1").doc
    assert running["final"] is False and running["report"] is None
    reject(res, Settings(), get_submission(res, "r1"),
           VerdictError(ReasonClass.LINK, "entry 'x' is a symlink"))  # fmt: skip
    final = call(services, "GET", "/submissions/r1").doc
    assert final["final"] is True and final["status"] == "REJECTED"
    assert final["report"]["reason"] == {"class": "LINK", "message": "entry 'x' is a symlink"}
    assert final["report"]["score"] == 0.0


# -- GET /health, GET /ping ---------------------------------------------------------------


def _at(offset_s: float) -> str:
    return iso(NOW + offset_s)


def _seed_health(res: Resources) -> None:
    # Completed within the hour: validation 2 s / 4 s, queue 1 s, generation 60 s / 100 s,
    # scoring 20 s / 30 s.
    for sid, (v, g, sc) in {"c1": (2, 60, 20), "c2": (4, 100, 30)}.items():
        t0 = -1800
        put_submission(res, sid, hotkey(1), [
            (S.PENDING_UPLOAD, _at(t0 - 10)), (S.VALIDATING, _at(t0)),
            (S.QUEUED, _at(t0 + v)), (S.GENERATING, _at(t0 + v + 1)),
            (S.SCORING, _at(t0 + v + 1 + g)), (S.COMPLETED, _at(t0 + v + 1 + g + sc)),
        ], score=0.5)  # fmt: skip
    # Completed yesterday-ish (within the day, not the hour), and one older than a day.
    put_submission(res, "c3", hotkey(2), [(S.VALIDATING, _at(-7200)), (S.QUEUED, _at(-7194)),
                                          (S.COMPLETED, _at(-7000))], score=0.4)  # fmt: skip
    put_submission(res, "c-old", hotkey(2), [(S.COMPLETED, _at(-2 * 86400))], score=0.1)
    # Failures and rejections with reason classes.
    failures = (("f1", "HARNESS_EXIT", -600), ("f2", "HARNESS_EXIT", -5000),
                ("f3", "HARNESS_TIMEOUT", -300))  # fmt: skip
    for sid, cls, when in failures:
        timeline = [(S.QUEUED, _at(when - 50)), (S.GENERATING, _at(when - 40)),
                    (S.FAILED, _at(when))]  # fmt: skip
        put_submission(res, sid, hotkey(3), timeline, reason={"class": cls, "message": "x"},
                       score=0.0)  # fmt: skip
    put_submission(res, "r1", hotkey(4), [(S.VALIDATING, _at(-100)), (S.REJECTED, _at(-99))],
                   reason={"class": "PATH_TRAVERSAL", "message": "x"}, score=0.0)  # fmt: skip
    # In flight.
    put_submission(res, "g1", hotkey(5), [(S.QUEUED, _at(-70)), (S.GENERATING, _at(-60))])
    put_submission(res, "p1", hotkey(6), [(S.PENDING_UPLOAD, _at(-30000))])


def test_health_numbers_from_a_seeded_table(aws: Resources) -> None:
    sqs = aws._client("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    uploads = sqs.create_queue(QueueName="uploads")["QueueUrl"]
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=uploads, MessageBody=body)
    sqs.send_message(QueueUrl=dlq, MessageBody="poison")
    services = make_services(
        aws,
        queues=QueueUrls(uploads=uploads, dead_letter=dlq),
        clock=FakeClock(NOW),
        config_revision="r7",
    )
    _seed_health(aws)
    reply = call(services, "GET", "/health")
    assert reply.status == 200, reply.doc
    doc = reply.doc
    hour, day = doc["last_hour"], doc["last_day"]
    assert hour["since"] == _at(-3600) and day["since"] == _at(-86400)
    assert hour["counts"] == {
        "PENDING_UPLOAD": 0, "VALIDATING": 0, "REJECTED": 1, "QUEUED": 0,
        "GENERATING": 1, "SCORING": 0, "COMPLETED": 2, "FAILED": 2,
    }  # fmt: skip
    assert day["counts"]["COMPLETED"] == 3 and day["counts"]["FAILED"] == 3
    assert day["counts"]["PENDING_UPLOAD"] == 1
    assert hour["failures"] == {"FAILED": {"HARNESS_EXIT": 1, "HARNESS_TIMEOUT": 1},
                                "REJECTED": {"PATH_TRAVERSAL": 1}}  # fmt: skip
    assert day["failures"]["FAILED"] == {"HARNESS_EXIT": 2, "HARNESS_TIMEOUT": 1}
    assert doc["truncated"] is False
    stages = doc["stages"]
    assert stages["generation"] == {"count": 2, "p50_s": 60.0, "p95_s": 100.0, "max_s": 100.0}
    assert stages["scoring"]["p50_s"] == 20.0 and stages["scoring"]["p95_s"] == 30.0
    assert stages["validation"]["count"] == 4  # c1, c2, c3 and the rejection
    # Queue wait: 1 s twice (c1, c2), 10 s three times (the failures): nearest-rank p50/p95.
    assert stages["queue_wait"] == {"count": 5, "p50_s": 10.0, "p95_s": 10.0, "max_s": 10.0}
    assert stages["end_to_end"]["count"] == 4  # timelines that include VALIDATING
    assert stages["evaluation"]["count"] == 6  # 3 completed (c1, c2, c3) + 3 failed
    assert doc["stage_sample"] == 7
    assert doc["last_completion_at"] == _at(-1800 + 4 + 1 + 100 + 30)
    assert doc["queues"]["uploads"]["visible"] == 3
    assert doc["queues"]["dead_letter"] == {"visible": 1, "in_flight": 0, "delayed": 0}
    assert doc["versions"] == {"dfab": doc["versions"]["dfab"], "scorer": SCORER_VERSION,
                               "config_hash": Settings().config_hash(),
                               "config_revision": "r7"}  # fmt: skip
    # No state machine in this deployment: said so, not a failure of the whole report.
    assert doc["executions"] == {"running": None, "capped": False}
    assert any("running executions" in p for p in doc["problems"])


def test_health_counts_are_bounded(aws: Resources) -> None:
    services = make_services(
        aws, ApiSettings(health_max_items=10, health_cache_s=0), clock=FakeClock(NOW)
    )
    for i in range(13):
        put_submission(aws, f"c{i}", hotkey(i), [(S.COMPLETED, _at(-60 - i))], score=0.1)
    doc = call(services, "GET", "/health").doc
    assert doc["truncated"] is True
    assert doc["last_hour"]["counts"]["COMPLETED"] == 10  # a lower bound, flagged
    assert any("no URL" in p for p in doc["problems"])


def test_health_counts_running_executions(aws: Resources) -> None:
    sfn = aws.sfn
    arn = sfn.create_state_machine(
        name="m", definition='{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, '
        '"End": true}}}', roleArn="arn:aws:iam::123456789012:role/x",
    )["stateMachineArn"]  # fmt: skip
    for i in range(3):
        sfn.start_execution(stateMachineArn=arn, name=f"e{i}")
    aws.state_machine_arn = arn
    services = make_services(aws, clock=FakeClock(NOW))
    doc = call(services, "GET", "/health").doc
    assert doc["executions"] == {"running": 3, "capped": False}


def test_ping_touches_nothing(aws: Resources) -> None:
    services = make_services(aws)
    reply = call(services, "GET", "/ping")
    assert reply.status == 200 and reply.doc["ok"] is True and reply.doc["version"]


def test_unknown_route_is_the_error_shape(services: ApiServices) -> None:
    reply = call(services, "GET", "/nope")
    assert reply.status == 404 and set(reply.doc) == {"code", "message"}
