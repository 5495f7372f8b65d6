"""Harness similarity index: query latency at 100k, LSH vs all-pairs at 10k, DynamoDB path.

`python -m bench.originality [--n 100000] [--n-compare 10000] [--moto-n 120]` prints JSON.

Synthetic fingerprint sets stand in for harnesses' own fingerprints (base code removed):
sizes log-uniform in [50, 1500], random 64-bit values, plus 2% near copies of earlier
sets so buckets are not artificially empty. Queries are copies of indexed sets with
Jaccard in [0.8, 1], related sets with Jaccard in [0.3, 0.8) and unrelated sets.

1. 100k, in memory: datasketch MinHash signatures (the production `sketch.minhash`, same
   42x3 banding) in a datasketch `MinHashLSH`; a query = signature + LSH lookup + exact
   similarity/containment of every candidate. Median and p95 latency.
2. 10k, same run: the same query against an LSH index of the first 10k sets vs the
   all-pairs baseline (exact Jaccard against every indexed set, Python set intersection);
   speedup of the medians and recall on copies with Jaccard >= 0.8 (truth = all-pairs).
3. DynamoDB on moto, smaller N: the production `HarnessIndex` on `DynamoStore` (band and
   sampled-fingerprint items, BatchGetItem reads) and `judge_harness` latency. moto runs
   in-process and costs ~1-5 ms of CPU per request, so these figures are an upper bound
   on request work, not AWS latency; request counts per query are reported too.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from datasketch import MinHashLSH

from dfab.originality.params import HARNESS_BANDS, HARNESS_NUM_PERM, HARNESS_ROWS, SAMPLE_MOD
from dfab.originality.sketch import minhash


@dataclass
class Query:
    kind: str  # copy | related | unrelated
    values: np.ndarray
    source: int  # index of the set it was derived from, -1 if none
    jaccard: float  # true Jaccard with the source


def _random_set(rng: np.random.Generator, size: int) -> np.ndarray:
    return np.unique(rng.integers(1, 2**63 - 1, size=size, dtype=np.int64).astype(np.uint64))


def _derive(rng: np.random.Generator, base: np.ndarray, jaccard: float) -> np.ndarray:
    """A set with (about) the given Jaccard to `base`: keep k, add m fresh, same size."""
    n = len(base)
    keep = max(1, round(2 * jaccard * n / (1 + jaccard)))
    kept = rng.choice(base, size=min(keep, n), replace=False)
    fresh = _random_set(rng, max(0, n - len(kept)))
    return np.unique(np.concatenate([kept, fresh]))


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def make_sets(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = np.exp(rng.uniform(np.log(50), np.log(1500), size=n)).astype(int)
    sets: list[np.ndarray] = []
    for i, size in enumerate(sizes):
        if i > 10 and rng.random() < 0.02:
            sets.append(_derive(rng, sets[int(rng.integers(0, i))], float(rng.uniform(0.3, 0.95))))
        else:
            sets.append(_random_set(rng, int(size)))
    return sets


def make_queries(sets: list[np.ndarray], limit: int, count: int, seed: int) -> list[Query]:
    """Queries derived from sets[:limit] (so they are valid for both index sizes)."""
    rng = np.random.default_rng(seed)
    out: list[Query] = []
    for kind, low, high in (("copy", 0.8, 1.0), ("related", 0.3, 0.8), ("unrelated", 0.0, 0.0)):
        for _ in range(count):
            if kind == "unrelated":
                size = int(np.exp(rng.uniform(np.log(50), np.log(1500))))
                out.append(Query(kind, _random_set(rng, size), -1, 0.0))
                continue
            src = int(rng.integers(0, limit))
            values = _derive(rng, sets[src], float(rng.uniform(low, high)))
            out.append(Query(kind, values, src, _jaccard(values, sets[src])))
    return out


def _signature(values: np.ndarray) -> Any:
    return minhash((int(v) for v in values), HARNESS_NUM_PERM)


def build_lsh(sets: list[np.ndarray], n: int) -> tuple[MinHashLSH, float]:
    started = time.perf_counter()
    lsh = MinHashLSH(num_perm=HARNESS_NUM_PERM, params=(HARNESS_BANDS, HARNESS_ROWS))
    with lsh.insertion_session(buffer_size=100_000) as session:
        for i in range(n):
            session.insert(i, _signature(sets[i]), check_duplication=False)
    return lsh, time.perf_counter() - started


def lsh_query(
    lsh: MinHashLSH, sets: list[np.ndarray], query: np.ndarray
) -> tuple[float, list[int], int]:
    """(latency s, candidates with exact Jaccard >= 0.8, candidate count)."""
    started = time.perf_counter()
    candidates = lsh.query(_signature(query))
    hits = []
    for c in candidates:
        other = sets[c]
        inter = len(np.intersect1d(query, other, assume_unique=True))
        similarity = inter / (len(query) + len(other) - inter)
        containment = inter / min(len(query), len(other))
        if similarity >= 0.8 or containment >= 0.8:
            hits.append(c)
    return time.perf_counter() - started, hits, len(candidates)


def all_pairs(py_sets: list[frozenset[int]], query: np.ndarray) -> tuple[float, list[int]]:
    """The baseline: exact Jaccard against every indexed set."""
    started = time.perf_counter()
    q = frozenset(int(v) for v in query)
    hits = []
    for i, s in enumerate(py_sets):
        inter = len(q & s)
        if inter and inter / (len(q) + len(s) - inter) >= 0.8:
            hits.append(i)
    return time.perf_counter() - started, hits


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


def bench_memory(sets: list[np.ndarray], queries: list[Query]) -> dict[str, Any]:
    lsh, build_s = build_lsh(sets, len(sets))
    by_kind: dict[str, list[float]] = {}
    found = total = 0
    candidates: list[int] = []
    for q in queries:
        latency, hits, n_cand = lsh_query(lsh, sets, q.values)
        by_kind.setdefault(q.kind, []).append(latency)
        candidates.append(n_cand)
        if q.kind == "copy":
            total += 1
            found += q.source in hits
    every = [t for ts in by_kind.values() for t in ts]
    return {
        "indexed": len(sets),
        "build_s": round(build_s, 1),
        "query": _ms(every),
        "query_by_kind": {k: _ms(v) for k, v in by_kind.items()},
        "mean_candidates": round(statistics.fmean(candidates), 2),
        "copy_recall": round(found / total, 4) if total else None,
    }


def bench_compare(
    sets: list[np.ndarray], n: int, queries: list[Query], pairs: int
) -> dict[str, Any]:
    lsh, build_s = build_lsh(sets, n)
    py_sets = [frozenset(int(v) for v in s) for s in sets[:n]]
    lsh_times: list[float] = []
    brute_times: list[float] = []
    truth_pairs = found_pairs = 0
    for i, q in enumerate(queries):
        latency, hits, _ = lsh_query(lsh, sets, q.values)
        lsh_times.append(latency)
        if i % max(1, len(queries) // pairs) == 0 or q.kind == "copy":
            brute_s, truth = all_pairs(py_sets, q.values)
            brute_times.append(brute_s)
            truth_pairs += len(truth)
            found_pairs += len(set(truth) & set(hits))
    lsh_median = statistics.median(lsh_times)
    brute_median = statistics.median(brute_times)
    return {
        "indexed": n,
        "build_s": round(build_s, 1),
        "lsh_query": _ms(lsh_times),
        "all_pairs_query": _ms(brute_times),
        "all_pairs_queries_timed": len(brute_times),
        "speedup_median": round(brute_median / lsh_median, 1),
        "pairs_with_jaccard_ge_0_8": truth_pairs,
        "recall_jaccard_ge_0_8": round(found_pairs / truth_pairs, 4) if truth_pairs else None,
    }


def bench_moto(sets: list[np.ndarray], n: int, seed: int) -> dict[str, Any]:
    from moto import mock_aws

    from dfab.originality.dynamo_store import DynamoStore
    from dfab.originality.fingerprint import HarnessFingerprint
    from dfab.originality.harness_index import HarnessIndex
    from dfab.originality.judge import judge_harness
    from dfab.originality.models import SubmissionRef
    from dfab.originality.settings import OriginalitySettings
    from dfab.originality.table import SIMILARITY_INDEX

    def record(values: np.ndarray) -> HarnessFingerprint:
        hashes = tuple(int(v) for v in values)
        zeros = tuple(0 for _ in hashes)
        return HarnessFingerprint(
            files=("generate.py",),
            hashes=hashes,
            file_index=zeros,
            line_start=zeros,
            line_end=zeros,
            exact_hash=str(hash(hashes)),
            token_count=len(hashes) * 8,
            units=1,
            total_units=1,
            entry_found=True,
        )

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    settings = OriginalitySettings()
    queries = make_queries(sets, n, 10, seed)
    with mock_aws():
        import boto3

        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**SIMILARITY_INDEX.create_kwargs())
        index = HarnessIndex(DynamoStore(client, SIMILARITY_INDEX.default_name), frozenset())
        started = time.perf_counter()
        for i in range(n):
            ref = SubmissionRef(
                submission_id=f"s{i}", hotkey=f"h{i}", created_at=f"2026-01-01T00:00:{i:06d}Z"
            )
            index.add(ref, record(sets[i]))
        add_s = (time.perf_counter() - started) / n
        times: list[float] = []
        verdicts: dict[str, int] = {}
        for j, q in enumerate(queries):
            ref = SubmissionRef(
                submission_id=f"q{j}", hotkey="qk", created_at="2027-01-01T00:00:00Z"
            )
            t0 = time.perf_counter()
            verdict = judge_harness(index, ref, record(q.values), settings)
            times.append(time.perf_counter() - t0)
            verdicts[f"{q.kind}:{verdict.verdict}"] = (
                verdicts.get(f"{q.kind}:{verdict.verdict}", 0) + 1
            )
        mean_size = statistics.fmean(len(s) for s in sets[:n])
    keys_per_query = HARNESS_BANDS + 1 + mean_size / SAMPLE_MOD
    return {
        "backend": "DynamoDB on moto (in-process); not AWS latency",
        "indexed": n,
        "add_s_mean": round(add_s, 3),
        "judge": _ms(times),
        "judge_queries": len(times),
        "verdicts": verdicts,
        "requests_per_query": {
            "batch_get_item_calls": int(np.ceil(keys_per_query / 100)),
            "keys_read": round(keys_per_query, 1),
            "query_calls": "one per candidate scored (its fingerprint record)",
        },
        "requests_per_add": {
            "update_item": round(HARNESS_BANDS + 1 + mean_size / SAMPLE_MOD, 1),
            "put_item": "record chunks + 1",
        },
    }


def _timed(fn: Any, *args: Any) -> Any:
    """Run a phase with the garbage collector off (its pauses would land in one query)."""
    gc.collect()
    gc.disable()
    try:
        return fn(*args)
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--n-compare", type=int, default=10_000)
    parser.add_argument("--moto-n", type=int, default=120)
    parser.add_argument("--queries", type=int, default=100, help="queries per kind")
    parser.add_argument("--pairs", type=int, default=60, help="all-pairs queries timed")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sets = make_sets(args.n, args.seed)
    queries = make_queries(sets, min(args.n_compare, args.n), args.queries, args.seed + 1)
    gen_s = time.perf_counter() - started
    result: dict[str, Any] = {
        "benchmark": "originality",
        "params": {"num_perm": HARNESS_NUM_PERM, "bands": HARNESS_BANDS, "rows": HARNESS_ROWS},
        "sets": {
            "count": args.n,
            "mean_size": round(statistics.fmean(len(s) for s in sets), 1),
            "generate_s": round(gen_s, 1),
        },
        "queries_per_kind": args.queries,
    }
    result["memory_100k"] = bench_memory(sets, queries)
    result["lsh_vs_all_pairs"] = bench_compare(
        sets, min(args.n_compare, args.n), queries, args.pairs
    )
    result["dynamodb_moto"] = bench_moto(sets, min(args.moto_n, args.n), args.seed + 2)
    memory = result["memory_100k"]["query"]["median_ms"]
    compare = result["lsh_vs_all_pairs"]
    result["targets"] = {
        "query_median_under_20ms": memory < 20,
        "speedup_at_least_100x": compare["speedup_median"] >= 100,
        "recall_at_least_0_95": (compare["recall_jaccard_ge_0_8"] or 0) >= 0.95,
    }
    result["total_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=2))
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
