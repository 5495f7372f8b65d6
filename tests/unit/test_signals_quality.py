"""Quality signals: good conversations score high, degraded ones low, always in [0, 1]."""

from __future__ import annotations

import copy

import pytest
from test_signals_support import SOLUTION, good_line, measure, signal_results, varied_lines

from dfab.scoring.signals import quality


def _set_request(line: dict, text: str) -> dict:
    line = copy.deepcopy(line)
    line["messages"][1]["content"] = text
    return line


def test_task_intent_rewards_concrete_requests() -> None:
    good = measure(quality.TaskIntent(), good_line())
    vague = measure(
        quality.TaskIntent(),
        _set_request(good_line(), "Can you help me with my stuff today please"),
    )
    empty = measure(quality.TaskIntent(), _set_request(good_line(), "..."))
    assert good.value is not None and good.value >= 0.9
    assert vague.value is not None and vague.value < 0.5 and "no artifact" in vague.reason
    assert empty.value == 0.0


def test_coherence_needs_results_used_and_answer_on_topic() -> None:
    good = measure(quality.Coherence(), good_line())
    line = good_line()
    line["messages"][-1]["content"] = (
        "All done here, everything should be fine now. Have a nice day!"
    )
    off = measure(quality.Coherence(), line)
    assert good.value is not None and off.value is not None
    assert good.value > 0.8 > off.value
    assert "misses what the request names" in off.reason


def test_text_health_punishes_repetition_not_code() -> None:
    good = measure(quality.TextHealth(), good_line())
    line = good_line()
    line["messages"][-1]["content"] = "The fix is done and tested. " * 200
    loop = measure(quality.TextHealth(), line)
    assert good.value == 1.0
    assert loop.value is not None and loop.value < 0.25 and loop.flag == "degenerate_text"


def test_prose_repetition_measures() -> None:
    text = "\n".join(f"line {i} says something different about item {i * 3}" for i in range(30))
    out = quality.prose_repetition(text)
    assert out["dup_line_chars"] == 0.0 and out["dup_10gram_chars"] == 0.0
    looped = quality.prose_repetition("\n".join(["the same line again and again"] * 30))
    assert looped["dup_line_chars"] > 0.9 and looped["dup_5gram_chars"] > 0.9


def test_code_validity_parses_blocks_and_written_files() -> None:
    assert measure(quality.CodeValidity(), good_line()).value == 1.0
    line = good_line()
    broken = SOLUTION.replace(
        "def page_slice(items, page, limit=25):", "def page_slice(items, page limit=25)"
    )
    line["messages"][-1]["content"] += f"\n\nAlso:\n```python\n{broken}```\n"
    bad = measure(quality.CodeValidity(), line)
    assert bad.value == pytest.approx(0.5) and "syntax error" in bad.reason
    line = good_line()
    line["messages"][-1]["content"] = "It works now, see above. The slice end was off by one."
    line["messages"][4]["tool_calls"][0]["function"]["arguments"] = (
        '{"path": "notes.txt", "content": "x"}'
    )
    line.pop("verification")
    assert measure(quality.CodeValidity(), line).value is None  # nothing checkable


def test_code_validity_excerpt_of_written_file_is_not_judged_alone() -> None:
    line = good_line()
    excerpt = "\n".join(SOLUTION.splitlines()[:3])  # cut mid-function: not valid on its own
    line["messages"][-1]["content"] += f"\n\nKey part:\n```python\n{excerpt}\n```\n"
    assert measure(quality.CodeValidity(), line).value == 1.0


def test_final_answer_delivers_and_is_bounded() -> None:
    good = measure(quality.FinalAnswer(), good_line())
    stub = good_line()
    stub["messages"][-1]["content"] = "Done."
    huge = good_line()
    huge["messages"][-1]["content"] += "\n" + "Unrelated words keep coming here. " * 2000
    assert good.value is not None and good.value > 0.9 and good.flag is None
    assert measure(quality.FinalAnswer(), stub).value == pytest.approx(0.05)
    big = measure(quality.FinalAnswer(), huge)
    assert big.flag == "oversized_answer" and big.value is not None and big.value < 0.5


def test_quoting_written_files_is_free_once() -> None:
    line = good_line()
    line["messages"][-1]["content"] += ("\n```python\n" + SOLUTION + "```\n") * 80
    assert measure(quality.FinalAnswer(), line).flag == "oversized_answer"


def test_dataset_values_are_bounded_with_evidence() -> None:
    results = signal_results(varied_lines(12))
    for name in (
        "quality.task_intent",
        "quality.coherence",
        "quality.text_health",
        "quality.code_validity",
        "quality.final_answer",
    ):
        r = results[name]
        assert 0.0 <= r.value <= 1.0
        assert r.evidence["applies_to"] == 12 and "histogram" in r.evidence
        assert isinstance(r.evidence["worst"], list)


def test_worst_conversations_are_named_with_reasons() -> None:
    lines = varied_lines(6)
    lines[2]["messages"][-1]["content"] = "Done, all good now."
    r = signal_results(lines)["quality.final_answer"]
    assert r.evidence["worst"][0]["id"] == "conv-2"
    assert r.evidence["worst"][0]["reason"]
