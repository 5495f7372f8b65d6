"""Integrity (red flags), format, originality, and the per-conversation scores file."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_signals_support import scoring_input, signal_results, varied_lines

from dfab.scoring.conversation_scores import write_conversation_scores
from dfab.scoring.signal import OriginalityInput


def _fabricate(line: dict) -> dict:
    for m in line["messages"]:
        if m["role"] == "tool":
            m["content"] = "Operation completed successfully without any problems."
    return line


def test_clean_share_counts_red_flagged_conversations() -> None:
    lines = varied_lines(5)
    _fabricate(lines[1])
    r = signal_results(lines)["integrity.clean_share"]
    assert r.value == pytest.approx(0.8)
    assert r.weight == 0.0 and "scale" in r.evidence["role"]
    assert r.evidence["red_flags"] == {"fabricated_results": 1}
    worst = r.evidence["worst_conversations"][0]
    assert worst["id"] == "conv-1" and worst["score"] == 0.0
    assert worst["red_flags"] == ["fabricated_results"]
    assert sum(r.evidence["conversation_score_histogram"]) == 5


def test_format_signals() -> None:
    r = signal_results(varied_lines(3))
    assert r["format.valid_fraction"].value == 1.0
    assert r["format.volume"].value == 1.0 and r["format.volume"].weight == 0.0


def test_originality_reads_its_input_or_says_not_measured() -> None:
    absent = signal_results(varied_lines(2))["originality.value"]
    assert absent.evidence["measured"] is False and absent.value == 1.0
    given = signal_results(
        varied_lines(2), originality=OriginalityInput(0.4, {"match": "s-9"}), plagiarized=False
    )["originality.value"]
    assert given.value == pytest.approx(0.4)
    assert given.evidence["match"] == "s-9" and given.evidence["plagiarized"] is False


def test_conversation_scores_parquet(tmp_path: Path) -> None:
    lines = varied_lines(4)
    _fabricate(lines[2])
    data = scoring_input(lines)
    out = tmp_path / "scores.parquet"
    assert write_conversation_scores(data, out) == 4
    table = pq.read_table(out).to_pylist()
    assert [r["id"] for r in table] == [f"conv-{i}" for i in range(4)]
    assert table[2]["score"] == 0.0 and table[2]["red_flags"] == ["fabricated_results"]
    assert all(0.0 <= r["score"] <= 1.0 for r in table)
    assert "quality.task_intent" in table[0] and "tool_use.loops" in table[0]
