"""Tool-use signals: declared tools, schema-valid arguments, answers, loops, variety, results."""

from __future__ import annotations

import json

import pytest
from test_signals_support import good_line, measure, signal_results, varied_lines

from dfab.scoring.extract.analysis import classify_call
from dfab.scoring.signals import tool_use


def test_declared_tools_well_formed() -> None:
    assert measure(tool_use.DeclaredTools(), good_line()).value == 1.0
    line = good_line()
    line["tools"][0]["function"]["description"] = "read"
    line["tools"][1]["function"]["parameters"] = {"type": "object", "properties": {"path": {}}}
    m = measure(tool_use.DeclaredTools(), line)
    assert m.value == pytest.approx(1 / 3) and "description" in m.reason


def test_schema_valid_args() -> None:
    assert measure(tool_use.SchemaValidArgs(), good_line()).value == 1.0
    line = good_line()
    line["messages"][2]["tool_calls"][0]["function"]["arguments"] = json.dumps({"path": 7})
    m = measure(tool_use.SchemaValidArgs(), line)
    assert m.value == pytest.approx(2 / 3)
    assert m.flag == "invalid_args"  # answered as if the call were fine
    assert "path" in m.reason


def test_one_invalid_call_that_errors_is_not_a_red_flag() -> None:
    line = good_line()
    msgs = line["messages"]
    msgs[2]["tool_calls"][0]["function"]["arguments"] = json.dumps({"file": "listing.py"})
    msgs[3]["content"] = "Error: missing required argument 'path'"
    # one more valid call so the invalid one is under a third
    extra_call = {
        "id": "c0",
        "type": "function",
        "function": {"name": "read_file", "arguments": json.dumps({"path": "listing.py"})},
    }
    msgs.insert(
        4,
        {
            "role": "assistant",
            "content": "Retrying with the right argument name.",
            "tool_calls": [extra_call],
        },
    )
    msgs.insert(5, {"role": "tool", "tool_call_id": "c0", "content": "def page_slice(...): ..."})
    m = measure(tool_use.SchemaValidArgs(), line)
    assert m.value == pytest.approx(3 / 4) and m.flag is None


def test_calls_answered() -> None:
    assert measure(tool_use.CallsAnswered(), good_line()).value == 1.0
    line = good_line()
    line["messages"][5]["content"] = "   "
    assert measure(tool_use.CallsAnswered(), line).value == pytest.approx(2 / 3)


def test_loops_inspect_act_verify() -> None:
    assert measure(tool_use.Loops(), good_line()).value == 1.0
    line = good_line()
    del line["messages"][6:8]  # no verification step
    m = measure(tool_use.Loops(), line)
    assert m.value == pytest.approx(0.7) and "no verification" in m.reason
    no_calls = good_line()
    no_calls["messages"] = [no_calls["messages"][1], no_calls["messages"][-1]]
    no_calls.pop("verification")
    assert measure(tool_use.Loops(), no_calls).value == 0.0


@pytest.mark.parametrize(
    ("name", "args", "kind"),
    [
        ("bash", {"command": "pytest -q tests"}, "verify"),
        ("bash", {"command": "sed -i 's/a/b/' x.py"}, "act"),
        ("bash", {"command": "cat app/x.py"}, "inspect"),
        ("run_command", {"command": "npm test"}, "verify"),
        ("str_replace_editor", {"path": "x"}, "act"),
        ("grep", {"pattern": "x"}, "inspect"),
    ],
)
def test_call_kinds(name: str, args: dict, kind: str) -> None:
    assert classify_call(name, "", args) == kind


def test_variety_counts_distinct_tools() -> None:
    assert measure(tool_use.Variety(), good_line()).value == 1.0
    line = good_line()
    for m in line["messages"]:
        for c in m.get("tool_calls") or []:
            c["function"]["name"] = "read_file"
            c["function"]["arguments"] = json.dumps({"path": "listing.py"})
    assert measure(tool_use.Variety(), line).value == pytest.approx(1 / 3)


def test_identical_results_for_different_calls_are_fabricated() -> None:
    assert measure(tool_use.PlausibleResults(), good_line()).value == 1.0
    line = good_line()
    for m in line["messages"]:
        if m["role"] == "tool":
            m["content"] = "Operation completed successfully without any problems."
    m = measure(tool_use.PlausibleResults(), line)
    assert m.value == 0.0 and m.flag == "fabricated_results"


def test_ignored_errors_cost() -> None:
    line = good_line()
    line["messages"][7]["content"] = "FAILED test_listing.py::test_pages - AssertionError"
    line["messages"][-1]["reasoning_content"] = "Summarise."
    line["messages"][-1]["content"] = "Done: page_slice is fixed and ready to ship."
    m = measure(tool_use.PlausibleResults(), line)
    assert m.value == pytest.approx(0.5) and "ignored" in m.reason


def test_dataset_values_bounded_with_evidence() -> None:
    results = signal_results(varied_lines(8))
    for name, r in results.items():
        if name.startswith("tool_use."):
            assert 0.0 <= r.value <= 1.0
            assert "conversations_read" in r.evidence
    assert results["tool_use.variety"].evidence["distinct_tool_names"] == 3
