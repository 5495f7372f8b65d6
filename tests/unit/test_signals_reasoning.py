"""Reasoning signals: present, grounded in what is acted on, bounded, not the answer."""

from __future__ import annotations

import pytest
from test_signals_support import good_line, measure, signal_results, varied_lines

from dfab.scoring.signals import reasoning

FILLER = (
    "Let me think about this very carefully and consider every possible angle. "
    "It is important to be thorough and methodical in this kind of situation. "
)


def test_present_at_decisions() -> None:
    assert measure(reasoning.Present(), good_line()).value == 1.0
    line = good_line()
    for m in line["messages"][:-1]:
        m.pop("reasoning_content", None)
    m = measure(reasoning.Present(), line)
    assert m.value == pytest.approx(0.5 / 3.5) and "no reasoning" in m.reason


def test_grounded_refers_to_what_is_acted_on() -> None:
    assert measure(reasoning.Grounded(), good_line()).value == 1.0
    line = good_line()
    for m in line["messages"]:
        if m.get("tool_calls"):
            m["reasoning_content"] = "Hmm, interesting weather today in the mountains."
    assert measure(reasoning.Grounded(), line).value == 0.0


def test_padding_does_not_pay() -> None:
    assert measure(reasoning.Bounded(), good_line()).value == 1.0
    line = good_line()
    for m in line["messages"]:
        if m.get("reasoning_content"):
            m["reasoning_content"] = FILLER * 20 + m["reasoning_content"]
    m = measure(reasoning.Bounded(), line)
    assert m.value is not None and m.value < 0.2 and m.flag == "padded_reasoning"


def test_long_grounded_reasoning_is_not_padding() -> None:
    line = good_line()
    detail = " ".join(
        f"In listing.py, page_slice with page {p} and limit {p + 2} computes start as "
        f"{(p - 1) * (p + 2)} and returns items up to start + limit + 1, one item too many."
        for p in range(1, 8)
    )
    line["messages"][4]["reasoning_content"] = detail
    assert measure(reasoning.Bounded(), line).value == 1.0


def test_reasoning_that_copies_the_answer() -> None:
    assert measure(reasoning.NotAnswerCopy(), good_line()).value is None  # nothing eligible
    line = good_line()
    line["messages"][-1]["reasoning_content"] = line["messages"][-1]["content"]
    m = measure(reasoning.NotAnswerCopy(), line)
    assert m.value == 0.0 and "copy" in m.reason


def test_dataset_values_bounded() -> None:
    results = signal_results(varied_lines(6))
    for name, r in results.items():
        if name.startswith("reasoning."):
            assert 0.0 <= r.value <= 1.0, name
