"""Diversity: MinHash as datasketch computes it, duplicates, structures, tasks, the probe."""

from __future__ import annotations

import copy
import random
import re

import numpy as np
import pyarrow as pa
import pytest
from datasketch import MinHash
from test_signals_support import conversation, good_line, signal_results, varied_lines

from dfab.scoring.extract import sketches


def test_signatures_equal_datasketch_minhash() -> None:
    hashes = np.random.RandomState(3).randint(0, 2**32, size=300, dtype=np.uint64)
    m = MinHash(
        num_perm=sketches.NUM_PERM, seed=sketches.SEED, hashfunc=lambda x: x, scheme=sketches.SCHEME
    )
    m.update_batch([int(h) for h in hashes])
    assert (m.hashvalues == sketches.signature_of_hashes(hashes)).all()


def _sigs(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    batch = sketches.TextBatch([pa.array(texts)], [np.arange(len(texts))], len(texts))
    return sketches.signatures(batch)


def test_word_swaps_keep_the_skeleton_but_not_the_content() -> None:
    base = " ".join(
        f"The function parse_{w} in billing/{w}.py returns None when the {w} total is missing, "
        f"so report {i} breaks. I will read the file, fix the guard and test every {w}."
        for i, w in enumerate(["invoice", "order", "refund", "ledger", "payment", "quote"])
    )
    vocab = [f"{a}{b}{c}q" for a in "bdfgklmnprstvz" for b in "aeiou" for c in "klmnrst"]

    def swapped(seed: int) -> str:
        rng = random.Random(seed)
        mapping: dict[str, str] = {}
        return re.sub(
            r"\b[A-Za-z]{3,}\b", lambda m: mapping.setdefault(m.group(0), rng.choice(vocab)), base
        )

    other = " ".join(
        f"Could you explain why the cache eviction in lru_{k}.go drops entries early? It "
        f"evicts on insert number {k} although capacity is {k * 100} items."
        for k in range(8)
    )
    content, skeleton = _sigs([swapped(1), swapped(2), other])
    assert sketches.jaccard(content[0], content[1]) < 0.3
    assert sketches.jaccard(skeleton[0], skeleton[1]) == 1.0
    assert sketches.jaccard(skeleton[0], skeleton[2]) < 0.5


def test_near_duplicates_and_distinct_share() -> None:
    lines = [copy.deepcopy(good_line(f"copy-{i}")) for i in range(10)]
    r = signal_results(lines)
    assert r["diversity.near_duplicates"].value == pytest.approx(0.1)
    assert r["diversity.near_duplicates"].evidence["largest_clusters"][0]["size"] == 10
    assert r["diversity.distinct_share"].value == pytest.approx(0.1)
    assert r["diversity.distinct_share"].weight == 0.0  # a scale, not a weighted part


def test_one_structure_earns_credit_for_a_capped_share() -> None:
    lines = varied_lines(40)  # one template, different words and code
    r = signal_results(lines)
    # content differs enough: no near-duplicates...
    assert r["diversity.near_duplicates"].value > 0.9
    # ...but structure is shared: at most max(3, 5% of 40) = 3 credited per structure
    share = r["diversity.distinct_share"]
    assert share.value < 0.5
    assert share.evidence["structures_over_cap"]


def test_task_distinct_n() -> None:
    same = signal_results([good_line(f"c{i}") for i in range(5)])["diversity.task_distinct_n"]
    varied = signal_results(varied_lines(5))["diversity.task_distinct_n"]
    assert same.value < varied.value <= 1.0


def test_probe_must_differ() -> None:
    lines = varied_lines(6)
    convs = [conversation(x) for x in lines]
    static = signal_results(lines, probe=lambda: iter(convs[:3]))["diversity.probe_differs"]
    assert static.value == 0.0 and static.evidence["near_duplicates_of_dataset"] == 3
    fresh = [copy.deepcopy(good_line("p-1"))]
    fresh[0]["messages"][1]["content"] = (
        "Our `render_chart` in `web/chart.ts` draws the y axis "
        "upside down; please flip it and keep the legend."
    )
    fresh[0]["messages"][-1]["content"] = "Flipped the scale in render_chart: " + "x " * 40
    other = signal_results(lines, probe=lambda: iter([conversation(fresh[0])]))
    assert other["diversity.probe_differs"].value == 1.0


def test_missing_probe_is_not_measured() -> None:
    r = signal_results(varied_lines(3))["diversity.probe_differs"]
    assert r.evidence["measured"] is False and "no probe" in r.evidence["note"]
