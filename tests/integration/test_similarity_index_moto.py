"""The similarity index on DynamoDB (moto): the same verdicts as in memory, persisted.

Each test builds the SimilarityIndexTable from its TableSpec, fills it through the
public index APIs and reads it back through fresh index objects, as separate Lambda
invocations would. DynamoStore writes from a thread pool, relying on DynamoDB's per-item
atomic conditional writes (the member cap, the earliest first occupant), which moto has
only with dfab.local.moto_compat.atomic_item_writes (tests/conftest.py applies it; without
it, 32 of 300 capped adds ran over the cap).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from dfab.originality.dataset_index import DatasetIndex
from dfab.originality.dynamo_store import DynamoStore
from dfab.originality.fingerprint import HarnessFingerprint, fingerprint_harness
from dfab.originality.harness_index import HarnessIndex
from dfab.originality.judge import judge_harness
from dfab.originality.models import SubmissionRef
from dfab.originality.settings import OriginalitySettings
from dfab.originality.table import SIMILARITY_INDEX
from dfab.storage.resources import Resources

ROOT = Path(__file__).resolve().parents[2]
ORIGINALS = ROOT / "tests" / "data" / "originality" / "originals"
S = OriginalitySettings()


@pytest.fixture
def res(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resources]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv(SIMILARITY_INDEX.env_var, raising=False)
    with mock_aws():
        resources = Resources(
            region="us-east-1",
            bucket="dfab-test",
            submissions_table="dfab-submissions",
            best_scores_table="dfab-best-scores",
        )
        resources.dynamodb.create_table(**SIMILARITY_INDEX.create_kwargs())
        yield resources


def _ref(sid: str, hotkey: str, day: int) -> SubmissionRef:
    return SubmissionRef(
        submission_id=sid, hotkey=hotkey, created_at=f"2026-02-{day:02d}T00:00:00.000Z"
    )


@pytest.fixture(scope="module")
def fps() -> dict[str, HarnessFingerprint]:
    return {p.name: fingerprint_harness(p) for p in sorted(ORIGINALS.iterdir())}


def test_table_spec_matches_the_template_key_schema() -> None:
    kwargs = SIMILARITY_INDEX.create_kwargs()
    assert kwargs["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert SIMILARITY_INDEX.logical_id == "SimilarityIndexTable"
    assert "GlobalSecondaryIndexes" not in kwargs


def test_harness_verdicts_persist_across_invocations(
    res: Resources, fps: dict[str, HarnessFingerprint]
) -> None:
    for day, (name, fp) in enumerate(sorted(fps.items()), start=1):
        index = HarnessIndex.for_resources(res)  # a fresh "invocation" per submission
        ref = _ref(name, f"miner-{name}", day)
        verdict = judge_harness(index, ref, fp, S)
        assert verdict.verdict == "clean", verdict.message
        index.add(ref, fp)
        index.save_verdict(verdict)
    index = HarnessIndex.for_resources(res)
    copy = judge_harness(index, _ref("copy", "mallory", 20), fps["sqlfix"], S)
    assert copy.verdict == "plagiarized" and copy.exact_match
    assert copy.against is not None and copy.against.submission_id == "sqlfix"
    assert index.verdict("sqlfix") is not None and index.verdict("sqlfix").verdict == "clean"  # type: ignore[union-attr]
    assert index.load("sqlfix") == fps["sqlfix"]
    # Re-adding (a retried Lambda) changes nothing.
    before = res.dynamodb.scan(TableName=SIMILARITY_INDEX.default_name)["Count"]
    index.add(_ref("sqlfix", "miner-sqlfix", 4), fps["sqlfix"])
    assert res.dynamodb.scan(TableName=SIMILARITY_INDEX.default_name)["Count"] == before


def test_same_results_as_in_memory(res: Resources, fps: dict[str, HarnessFingerprint]) -> None:
    dyn, mem = HarnessIndex.for_resources(res), HarnessIndex.in_memory()
    for index in (dyn, mem):
        index.add(_ref("a", "alice", 1), fps["testsmith"])
        index.add(_ref("b", "bob", 2), fps["logdetective"])
    for name, fp in fps.items():
        ref = _ref(f"q-{name}", "carol", 9)
        assert judge_harness(dyn, ref, fp, S) == judge_harness(mem, ref, fp, S)


def test_table_name_from_environment(
    res: Resources, monkeypatch: pytest.MonkeyPatch, fps: dict[str, HarnessFingerprint]
) -> None:
    res.dynamodb.create_table(**SIMILARITY_INDEX.create_kwargs("custom-similarity"))
    monkeypatch.setenv(SIMILARITY_INDEX.env_var, "custom-similarity")
    store = DynamoStore.from_resources(res)
    assert store.table == "custom-similarity"
    HarnessIndex(store).add(_ref("a", "alice", 1), fps["sqlfix"])
    assert res.dynamodb.scan(TableName="custom-similarity")["Count"] > 0
    assert res.dynamodb.scan(TableName=SIMILARITY_INDEX.default_name)["Count"] == 0


def test_store_semantics(res: Resources) -> None:
    store = DynamoStore.from_resources(res)
    store.add_members([("k", f"2026-01-0{i}|s{i}|0|h") for i in range(1, 6)], cap=3)
    assert len(store.members(["k", "absent"])["k"]) == 3
    store.claim_first({"f": "2026-01-05|late|0|h"})
    store.claim_first({"f": "2026-01-01|early|0|h"})
    store.claim_first({"f": "2026-01-03|middle|0|h"})
    assert store.firsts(["f", "absent"]) == {"f": "2026-01-01|early|0|h"}
    blob = random.Random(1).randbytes(900 * 1024)  # three chunks
    store.put_blob("big", blob)
    assert store.get_blob("big") == blob
    store.put_blob("big", b"short")
    assert store.get_blob("big") == b"short"
    assert store.get_blob("absent") is None
    store.put_doc("d", {"x": [1, 2]})
    assert store.get_doc("d") == {"x": [1, 2]} and store.get_doc("absent") is None
    keys = [f"many{i}" for i in range(250)]  # more than one BatchGetItem
    store.add_members([(k, "m") for k in keys], cap=5)
    assert len(store.members(keys)) == 250


def _dataset(seed: int, n: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    vocab = [f"t{i}" for i in range(300)]
    return [
        {
            "schema_version": 1,
            "id": f"{seed}-{i}",
            "messages": [
                {"role": "user", "content": " ".join(rng.choice(vocab) for _ in range(30))},
                {"role": "assistant", "content": " ".join(rng.choice(vocab) for _ in range(90))},
            ],
        }
        for i in range(n)
    ]


def test_dataset_index_on_dynamodb(res: Resources) -> None:
    original = _dataset(1, 40)
    first = DatasetIndex.for_resources(res, S)
    assert first.check_and_add(_ref("orig", "alice", 1), original).duplicate_share == 0.0
    second = DatasetIndex.for_resources(res, S)
    edited = json.loads(json.dumps(original[:20]))
    for conv in edited:
        words = conv["messages"][1]["content"].split()
        words[3] = "changed"
        conv["messages"][1]["content"] = " ".join(words)
    copy = original[20:] + edited
    result = second.check_and_add(_ref("copy", "mallory", 2), copy)
    assert result.duplicate_share == 1.0
    assert result.exact_duplicates == 20 and result.near_duplicates == 20
    assert result.sources == {"orig": 40}
    assert DatasetIndex.for_resources(res, S).result("copy") == result
    own = DatasetIndex.for_resources(res, S).check(_ref("orig2", "alice", 3), original)[0]
    assert own.duplicate_share == 0.0


def test_capped_sets_hold_their_cap_under_concurrent_adds(res: Resources) -> None:
    # add_members races its writes on a thread pool; DynamoDB's atomic conditional writes
    # (moto: atomic_item_writes) keep every set at the cap. Unlocked moto broke it ~1 try in 10.
    store = DynamoStore.from_resources(res)
    for attempt in range(100):
        key = f"k{attempt}"
        store.add_members([(key, f"2026-01-0{i}|s{i}|0|h") for i in range(1, 7)], cap=3)
        assert len(store.members([key])[key]) == 3, attempt
