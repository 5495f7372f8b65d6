"""Coding relevance: real work, spread by content (not labels), honest hints."""

from __future__ import annotations

import copy

import pytest
from test_signals_support import analysis, good_line, measure, signal_results, varied_lines

from dfab.scoring.signals import coding


def _chat_line() -> dict:
    line = good_line()
    line["messages"] = [
        {"role": "user", "content": "What is a good name for my cat? She is grey and fluffy."},
        {"role": "assistant", "content": "How about Smokey, Ash or Cloud? All suit a grey cat."},
    ]
    line.pop("verification")
    return line


def test_real_work() -> None:
    good = measure(coding.RealWork(), good_line())
    chat = measure(coding.RealWork(), _chat_line())
    assert good.value == 1.0 and good.flag is None
    assert chat.value is not None and chat.value < 0.3 and chat.flag == "off_topic"


def test_languages_come_from_content_not_labels() -> None:
    line = good_line()
    line["task"]["language"] = ["rust", "go"]
    a = analysis(line)
    assert a.languages == ["python"]
    m = measure(coding.HintsMatch(), line)
    assert m.value is not None and m.value < 1 and "declares 'rust'" in m.reason
    assert measure(coding.HintsMatch(), good_line()).value == 1.0


def test_undeclared_hints_are_neutral() -> None:
    line = good_line()
    line.pop("task")
    assert measure(coding.HintsMatch(), line).value is None
    r = signal_results([line])["coding.hints_match"]
    assert r.value == 1.0 and "no conversation declares" in r.evidence["note"]


def test_category_checked_against_content() -> None:
    line = copy.deepcopy(good_line())
    line["task"]["category"] = "explanation"
    line["messages"][-1]["content"] = "Fixed the slice."
    assert not coding.kind_consistent("explanation", analysis(line))
    assert coding.kind_consistent("bug_fix", analysis(good_line()))


def test_spread_uses_effective_counts() -> None:
    assert coding.effective_count(
        __import__("collections").Counter({"a": 5, "b": 5})
    ) == pytest.approx(2)
    r = signal_results(varied_lines(6))["coding.spread"]
    assert 0.0 <= r.value <= 1.0
    assert r.evidence["languages"] == {"python": 6.0}
    assert r.evidence["effective_languages"] == pytest.approx(1.0)
