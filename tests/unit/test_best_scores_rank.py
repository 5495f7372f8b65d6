"""The rank index of best scores: order, pages, and concurrent raises for many miners."""

from __future__ import annotations

import random
import threading

import pytest
from api_support import hotkey
from hypothesis import given
from hypothesis import strategies as st

from dfab.contracts.submission import utc_now
from dfab.storage.best_scores import (
    RANK_INDEX,
    VERSION_KEY,
    RankingVersion,
    backfill_ranking,
    get_best_record,
    list_best_scores,
    raise_best_score,
    rank_key,
    ranking_version,
)
from dfab.storage.dynamo import to_item
from dfab.storage.resources import Resources
from dfab.storage.tables import BEST_SCORES

entries = st.lists(
    st.tuples(
        st.integers(0, 10**6).map(lambda n: n / 10**6),
        st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"),
        st.integers(0, 10**9).map(hotkey),
    ),
    min_size=2,
    max_size=30,
)


@given(entries)
def test_rank_key_order_is_score_desc_then_earlier_then_hotkey(
    rows: list[tuple[float, str, str]],
) -> None:
    by_key = sorted(rows, key=lambda r: rank_key(*r))
    assert by_key == sorted(rows, key=lambda r: (-r[0], r[1], r[2]))


def test_rank_key_bounds() -> None:
    assert rank_key(1.0, "t", "h") < rank_key(0.999999, "t", "h") < rank_key(0.0, "t", "h")
    for bad in (-0.1, 1.01, float("nan")):
        with pytest.raises(ValueError):
            rank_key(bad, "t", "h")


def test_the_index_is_declared() -> None:
    assert BEST_SCORES.global_indexes[RANK_INDEX] == ("board", "rank_key")


def test_each_raise_bumps_the_ranking_version(aws: Resources) -> None:
    assert ranking_version(aws) == RankingVersion(0, None)
    kw = {"scorer_version": "1", "completed_at": utc_now()}
    assert raise_best_score(aws, hotkey=hotkey(1), score=0.5, submission_id="a", **kw)
    assert not raise_best_score(aws, hotkey=hotkey(1), score=0.4, submission_id="b", **kw)
    assert raise_best_score(aws, hotkey=hotkey(2), score=0.1, submission_id="c", **kw)
    version = ranking_version(aws)
    assert version.version == 2 and version.changed_at
    # The counter is no miner: not in the ranking, not readable as a best score.
    assert [w.hotkey for w in list_best_scores(aws)] == [hotkey(1), hotkey(2)]
    assert get_best_record(aws, VERSION_KEY) is None


def test_concurrent_completions_for_many_miners(aws: Resources) -> None:
    """8 threads race completions for 10 miners; each ends with its maximum, once."""
    rng = random.Random(7)
    work = [(hotkey(m), round(rng.random(), 4), f"s{m}-{k}") for m in range(10) for k in range(12)]
    rng.shuffle(work)
    best = {}
    for hk, score, sid in work:
        if hk not in best or score > best[hk][0]:
            best[hk] = (score, sid)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []
    raised: list[str] = []

    def worker(chunk: list[tuple[str, float, str]]) -> None:
        try:
            barrier.wait()
            for hk, score, sid in chunk:
                if raise_best_score(
                    aws,
                    hotkey=hk,
                    score=score,
                    submission_id=sid,
                    scorer_version="1",
                    completed_at=utc_now(),
                ):
                    raised.append(sid)
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(work[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for hk, (score, _) in best.items():
        record = get_best_record(aws, hk)
        assert record is not None and record.score == score
    ranked = list_best_scores(aws)
    assert len(ranked) == 10, "one index entry per miner: a raise replaces, never duplicates"
    assert ranking_version(aws).version == len(raised), "one version bump per raise"
    assert [w.score for w in ranked] == sorted((s for s, _ in best.values()), reverse=True)


def test_backfill_puts_old_items_into_the_ranking(aws: Resources) -> None:
    old = {"hotkey": hotkey(1), "score": 0.4, "submission_id": "a", "scorer_version": "1",
           "completed_at": "2026-01-01T00:00:00.000Z"}  # fmt: skip
    aws.dynamodb.put_item(TableName=aws.best_scores_table, Item=to_item(old))
    raise_best_score(aws, hotkey=hotkey(2), score=0.3, submission_id="b", scorer_version="1",
                     completed_at=utc_now())  # fmt: skip
    assert [w.hotkey for w in list_best_scores(aws)] == [hotkey(2)]
    before = ranking_version(aws).version
    assert backfill_ranking(aws) == 1
    assert [w.hotkey for w in list_best_scores(aws)] == [hotkey(1), hotkey(2)]
    assert ranking_version(aws).version == before + 1
    assert backfill_ranking(aws) == 0
