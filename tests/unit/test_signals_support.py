"""Builders shared by the signal tests: one honest conversation, and ways to score lines.

No tests here; the other test_signals_* modules import these helpers.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from dfab.contracts.dataset import Conversation, parse_conversation
from dfab.scoring.aggregate import compute_group
from dfab.scoring.extract.analysis import ConversationAnalysis
from dfab.scoring.extract.schemas import SchemaJudge
from dfab.scoring.extract.store import Measure
from dfab.scoring.extract.views import ViewBuilder
from dfab.scoring.registry import GROUPS
from dfab.scoring.signal import DatasetFacts, ScoringInput
from dfab.settings import Settings

Line = dict[str, Any]

SOLUTION = '''def page_slice(items, page, limit=25):
    """Return the items on 1-based `page`, `limit` items per page."""
    if page < 1:
        raise ValueError("page must be >= 1")
    start = (page - 1) * limit
    return list(items[start : start + limit])
'''
BUGGY = SOLUTION.replace("start + limit]", "start + limit + 1]")
TESTS = """import pytest

from listing import page_slice

ITEMS = list(range(1, 15))


def test_pages_do_not_overlap():
    assert page_slice(ITEMS, 1, limit=5) == [1, 2, 3, 4, 5]
    assert page_slice(ITEMS, 2, limit=5)[0] == 6


def test_rejects_page_zero():
    with pytest.raises(ValueError):
        page_slice(ITEMS, 0, limit=5)
"""

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Read a text file from the repository.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": ["path"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "write_file",
            "description": "Create or overwrite a file with new content.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                "required": ["path", "content"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "run_tests",
            "description": "Run the test suite with pytest.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": [],
                "additionalProperties": False,
            },
        },
    },
]


def call(cid: str, name: str, **args: Any) -> Line:
    return {
        "id": cid,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(args)},
    }


def good_line(cid: str = "conv-1") -> Line:
    """An honest bug-fix conversation: inspect, fix, verify, explain, with a real test."""
    return {
        "schema_version": 1,
        "id": cid,
        "task": {
            "category": "bug_fix",
            "language": "python",
            "difficulty": "easy",
            "summary": "Fix overlapping pages in page_slice",
        },
        "tools": copy.deepcopy(TOOLS),
        "messages": [
            {"role": "system", "content": "You are a coding agent working in a repository."},
            {
                "role": "user",
                "content": "Every page from `page_slice` in `listing.py` has one "
                "extra row, and the last row of page 1 is repeated on page 2. It should return "
                "exactly `limit` items. Please fix it without changing the signature.",
            },
            {
                "role": "assistant",
                "reasoning_content": "I'll read `listing.py` to see how "
                "page_slice computes its slice.",
                "content": None,
                "tool_calls": [call("c1", "read_file", path="listing.py")],
            },
            {"role": "tool", "tool_call_id": "c1", "name": "read_file", "content": BUGGY},
            {
                "role": "assistant",
                "reasoning_content": "The slice end is start + limit + 1; "
                "Python slices exclude the end already, so the + 1 pulls in the next page's first "
                "item. I'll drop it in listing.py.",
                "content": None,
                "tool_calls": [call("c2", "write_file", path="listing.py", content=SOLUTION)],
            },
            {
                "role": "tool",
                "tool_call_id": "c2",
                "name": "write_file",
                "content": "Wrote listing.py (6 lines, 236 bytes)",
            },
            {
                "role": "assistant",
                "reasoning_content": "Now run the tests to confirm the pages no longer overlap.",
                "content": None,
                "tool_calls": [call("c3", "run_tests", path="test_listing.py")],
            },
            {
                "role": "tool",
                "tool_call_id": "c3",
                "name": "run_tests",
                "content": "..                                                  [100%]\n"
                "2 passed in 0.02s",
            },
            {
                "role": "assistant",
                "reasoning_content": "Tests pass; summarise the root cause.",
                "content": "Fixed: the slice in `page_slice` ended at `start + limit + 1`, so each "
                "page included the first item of the next page. Because Python slices exclude "
                "the end, the fix is `items[start : start + limit]`.\n\n```python\n"
                + SOLUTION
                + "```\n\nThe tests now pass: 2 passed.",
            },
        ],
        "verification": {
            "kind": "command",
            "files": {"listing.py": SOLUTION, "test_listing.py": TESTS},
            "command": ["python", "-m", "pytest", "-q"],
            "timeout_s": 30,
            "solution_files": ["listing.py"],
        },
    }


def conversation(line: Line) -> Conversation:
    conv, violations = parse_conversation(line)
    assert conv is not None, violations
    return conv


def analysis(line: Line) -> ConversationAnalysis:
    return ConversationAnalysis(ViewBuilder().from_conversation(conversation(line)))


class FakeStore:
    """What `measure` may read from the store: the schema judge."""

    def __init__(self) -> None:
        self.judge = SchemaJudge()


def measure(signal: Any, line: Line) -> Measure:
    """One signal's reading of one conversation."""
    return signal.measure(analysis(line), FakeStore())


def scoring_input(lines: list[Line], settings: Settings | None = None, **kw: Any) -> ScoringInput:
    convs = [conversation(x) for x in lines]

    def stream() -> Iterator[Conversation]:
        return iter(convs)

    n = len(convs)
    return ScoringInput(
        facts=DatasetFacts(total_lines=n, valid_lines=n, invalid_lines=0, requested=n),
        settings=settings or Settings(),
        conversations=stream,
        submission_id=kw.pop("submission_id", "test-submission"),
        **kw,
    )


def signal_results(lines: list[Line], **kw: Any) -> dict[str, Any]:
    data = scoring_input(lines, **kw)
    out = {}
    for group in GROUPS:
        for result in compute_group(group, data):
            out[result.name] = result
    return out


def varied_lines(n: int) -> list[Line]:
    """n honest conversations that differ in content and structure (no near-duplicates)."""
    words = [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
        "india",
        "juliet",
        "kilo",
        "lima",
        "mike",
        "november",
        "oscar",
        "papa",
        "quebec",
        "romeo",
    ]
    out = []
    for i in range(n):
        line = good_line(f"conv-{i}")
        a, b, c = words[i % 18], words[(i * 7 + 3) % 18], words[(i * 5 + 1) % 18]
        extra = "\n".join(f"# note {a}{k} {b}{i} {c}{k * i}" for k in range(i % 7 + 1))
        sol = SOLUTION.replace("page_slice", f"{a}_{b}_slice_{i}") + f"\n{extra}\n"
        for m in line["messages"]:
            for key in ("content", "reasoning_content"):
                if isinstance(m.get(key), str):
                    m[key] = m[key].replace("page_slice", f"{a}_{b}_slice_{i}")
                    m[key] += (
                        f" ({c} {a} {i} "
                        + " ".join(words[(i + k) % 18] for k in range(i % 9))
                        + ")"
                    )
            for tc in m.get("tool_calls") or []:
                args = json.loads(tc["function"]["arguments"])
                if "content" in args:
                    args["content"] = sol
                tc["function"]["arguments"] = json.dumps(args)
        final = line["messages"][-1]
        final["content"] = final["content"].split("```python")[0] + "```python\n" + sol + "```\n"
        line["verification"]["files"]["listing.py"] = sol
        line["verification"]["files"]["test_listing.py"] = TESTS.replace(
            "page_slice", f"{a}_{b}_slice_{i}"
        )
        out.append(line)
    return out
