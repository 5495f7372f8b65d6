"""The streaming JSONL parser: one verdict per line, every verdict kind, bounded memory,
and no input that makes it raise."""

from __future__ import annotations

import copy
import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dfab.contracts.dataset import DatasetLimits
from dfab.dataset.parser import LineVerdict, has_lone_surrogate_escape, iter_verdicts
from dfab.dataset.summary import MAX_VIOLATIONS_PER_LINE, summarize

VALID: dict[str, Any] = {
    "schema_version": 1,
    "id": "c-1",
    "tools": [{"type": "function", "function": {"name": "run", "parameters": {}}}],
    "messages": [
        {"role": "user", "content": "Fix it."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "k1", "type": "function", "function": {"name": "run", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "k1", "content": "ok"},
        {"role": "assistant", "content": "Fixed."},
    ],
}


def conv(conv_id: str = "c-1", **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    data["id"] = conv_id
    data.update(changes)
    return data


def jsonl(*items: Any) -> bytes:
    """Lines from objects (dumped) or raw bytes/str (as is), each ended by a newline."""
    out = b""
    for item in items:
        if isinstance(item, bytes):
            out += item
        elif isinstance(item, str):
            out += item.encode()
        else:
            out += json.dumps(item).encode()
        out += b"\n"
    return out


def verdicts(data: bytes, limits: DatasetLimits | None = None) -> list[LineVerdict]:
    return list(iter_verdicts(io.BytesIO(data), limits or DatasetLimits()))


def rules(v: LineVerdict) -> list[str]:
    return [x.rule for x in v.violations]


# --------------------------------------------------------------------------- lines


def test_valid_lines_have_conversations_numbers_offsets_and_sizes() -> None:
    first, second = json.dumps(conv("a")).encode(), json.dumps(conv("b")).encode()
    out = verdicts(first + b"\n" + second + b"\n")
    assert [v.line_number for v in out] == [1, 2]
    assert all(v.valid and v.violations == () for v in out)
    assert [v.id for v in out] == ["a", "b"]
    assert out[0].conversation is not None and out[0].conversation.id == "a"
    assert (out[0].offset, out[0].size) == (0, len(first))
    assert (out[1].offset, out[1].size) == (len(first) + 1, len(second))


def test_empty_file_has_no_lines() -> None:
    assert verdicts(b"") == []
    summary = summarize([])
    assert (summary.total_lines, summary.valid_fraction) == (0, 0.0)


def test_trailing_newline_does_not_open_a_line() -> None:
    assert len(verdicts(jsonl(conv()))) == 1


def test_last_line_without_newline_is_judged() -> None:
    out = verdicts(jsonl(conv("a")) + json.dumps(conv("b")).encode())
    assert [v.valid for v in out] == [True, True]


@pytest.mark.parametrize(
    ("data", "blank_lines"),
    [
        (jsonl(conv("a"), "", conv("b")), [2]),
        (jsonl(conv("a"), "  \t\r", conv("b")), [2]),
        (jsonl(conv("a"), ""), [2]),  # an empty line before EOF is a line
        (jsonl(conv("a")) + b"   ", [2]),  # whitespace after the last newline too
        (b"\n\n", [1, 2]),
    ],
)
def test_blank_lines_are_invalid(data: bytes, blank_lines: list[int]) -> None:
    out = verdicts(data)
    assert [v.line_number for v in out if rules(v) == ["line.blank"]] == blank_lines
    assert all(v.valid for v in out if v.line_number not in blank_lines)


def test_crlf_line_endings_parse() -> None:
    data = json.dumps(conv("a")).encode() + b"\r\n" + json.dumps(conv("b")).encode() + b"\r\n"
    out = verdicts(data)
    assert [v.valid for v in out] == [True, True]
    assert out[0].size == len(json.dumps(conv("a"))) + 1  # the \r counts


def test_not_utf8_names_the_byte() -> None:
    (v,) = verdicts(b'{"id": "\xff"}\n')
    assert rules(v) == ["line.not_utf8"]
    assert "byte 8" in v.violations[0].message
    (v,) = verdicts(b'{"id": "\xed\xa0\x80"}\n')  # a UTF-8-encoded surrogate
    assert rules(v) == ["line.not_utf8"]


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ('{"id": }', "character 7"),
        ('{"id": "a"} x', "Extra data"),
        ("{'id': 'a'}", "character 1"),
        ('{"x": NaN}', "NaN"),
        ('{"x": -Infinity}', "Infinity"),
        ('{"x": 1e400}', "float range"),
        ('{"x": ' + "9" * 5000 + "}", "digits"),
        ("\ufeff" + json.dumps(VALID), "BOM"),
    ],
)
def test_not_json_says_why_and_where(raw: str, fragment: str) -> None:
    (v,) = verdicts(raw.encode() + b"\n")
    assert rules(v) == ["line.not_json"]
    assert fragment in v.violations[0].message
    assert v.violations[0].where == "(line)"


def test_too_deep_json_is_a_verdict() -> None:
    (v,) = verdicts(b"[" * 200_000 + b"]" * 200_000 + b"\n")
    assert rules(v) == ["line.too_deep"]


@pytest.mark.parametrize("raw", ["[1]", "1", '"conv"', "null", "true"])
def test_not_object(raw: str) -> None:
    (v,) = verdicts(raw.encode() + b"\n")
    assert rules(v) == ["line.not_object"]


def test_schema_and_rule_violations_keep_their_place() -> None:
    bad = conv()
    bad["messages"][1]["tool_calls"][0]["function"]["name"] = "nope"
    (v,) = verdicts(jsonl(bad))
    assert not v.valid
    assert [(x.rule, x.where) for x in v.violations] == [
        ("tool_calls.undeclared_tool", "messages[1].tool_calls[0].function.name")
    ]
    assert v.id == "c-1"


# ------------------------------------------------------------------- lone surrogates


def test_lone_surrogate_is_refused_with_its_place() -> None:
    raw = json.dumps(conv()).replace('"Fix it."', '"Fix \\ud800 it."')
    (v,) = verdicts(raw.encode() + b"\n")
    assert [(x.rule, x.where) for x in v.violations] == [
        ("line.lone_surrogate", "messages[0].content")
    ]


def test_lone_surrogate_in_a_key_is_refused() -> None:
    raw = json.dumps(conv(metadata={"k\udc00": 1}))
    assert "\\udc00" in raw
    (v,) = verdicts(raw.encode() + b"\n")
    assert rules(v) == ["line.lone_surrogate"]
    assert v.violations[0].where == "metadata.<key>"


def test_surrogate_pairs_and_escaped_backslashes_are_fine() -> None:
    line = conv(metadata={"emoji": "\U0001f600", "text": "\\ud800 is not an escape here"})
    raw = json.dumps(line, ensure_ascii=True)
    assert "\\ud83d\\ude00" in raw and "\\\\ud800" in raw
    (v,) = verdicts(raw.encode() + b"\n")
    assert v.valid


_TRICKY = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=()),
        st.sampled_from(["\\", "u", "d", "D", "8", "c", "0", "\ud83d", "\ude00", "\ud800"]),
    ),
    max_size=30,
)


@given(_TRICKY)
def test_lone_surrogate_scan_is_exact(text: str) -> None:
    encoded = json.dumps(text, ensure_ascii=True)
    truth = any(0xD800 <= ord(ch) <= 0xDFFF for ch in json.loads(encoded))
    assert has_lone_surrogate_escape(encoded) == truth


# ------------------------------------------------------------------------ duplicates


def test_duplicate_id_invalidates_the_later_line_and_names_the_first() -> None:
    out = verdicts(jsonl(conv("a"), conv("b"), conv("a")))
    assert [v.valid for v in out] == [True, True, False]
    assert [(x.rule, x.where) for x in out[2].violations] == [("id.duplicate", "id")]
    assert "line 1" in out[2].violations[0].message


def test_invalid_lines_do_not_reserve_their_id() -> None:
    broken = conv("a")
    broken["messages"].pop()
    out = verdicts(jsonl(broken, conv("a")))
    assert [v.valid for v in out] == [False, True]


def test_invalid_duplicate_reports_both_problems() -> None:
    broken = conv("a")
    broken["messages"].pop()
    out = verdicts(jsonl(conv("a"), broken))
    assert rules(out[1]) == ["roles.last_not_final_answer", "id.duplicate"]


# ------------------------------------------------------------------------ size limit


def test_line_at_the_limit_is_judged_and_over_it_is_too_large() -> None:
    line = json.dumps(conv()).encode()
    at = DatasetLimits(max_line_bytes=len(line))
    assert verdicts(line + b"\n", at)[0].valid
    assert verdicts(line, at)[0].valid  # no newline at EOF
    under = DatasetLimits(max_line_bytes=len(line) - 1)
    (v,) = verdicts(line + b"\n", under)
    assert rules(v) == ["line.too_large"]
    assert v.size == len(line)
    assert f"{len(line)} bytes" in v.violations[0].message


def test_lines_after_an_oversized_one_keep_their_numbers_and_offsets() -> None:
    big = b'{"id": "' + b"x" * 10_000 + b'"}'
    small = json.dumps(conv()).encode()
    data = small + b"\n" + big + b"\n" + small.replace(b"c-1", b"c-2") + b"\n" + big
    out = verdicts(data, DatasetLimits(max_line_bytes=1000))
    assert [rules(v) for v in out] == [[], ["line.too_large"], [], ["line.too_large"]]
    assert [v.line_number for v in out] == [1, 2, 3, 4]
    assert out[2].offset == len(small) + 1 + len(big) + 1
    assert out[3].size == len(big)


def test_oversized_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    limit = 1024 * 1024
    with path.open("wb") as f:
        f.write(b'{"id": "')
        chunk = b"y" * (1024 * 1024)
        for _ in range(64):  # one 64 MiB line
            f.write(chunk)
        f.write(b'"}\n')
        f.write(json.dumps(conv()).encode() + b"\n")
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            out = list(iter_verdicts(stream, DatasetLimits(max_line_bytes=limit)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [rules(v) for v in out] == [["line.too_large"], []]
    assert out[0].size == 64 * 1024 * 1024 + 10
    assert peak < 4 * limit, f"peak {peak} bytes while skipping a 64 MiB line"


# --------------------------------------------------------------------------- summary


def test_summary_counts_rules_per_line_and_reports_the_first_invalid() -> None:
    broken = conv("z")
    broken["messages"] = [{"role": "bot"}] * 30  # 30 schema errors on one line
    data = jsonl(conv("a"), "", "[1]", conv("a"), broken, "{", "")
    summary = summarize(verdicts(data), max_reported_invalid=3)
    assert (summary.total_lines, summary.valid, summary.invalid) == (7, 1, 6)
    assert summary.valid_fraction == pytest.approx(1 / 7)
    assert summary.rule_counts == {
        "id.duplicate": 1,
        "line.blank": 2,
        "line.not_json": 1,
        "line.not_object": 1,
        "schema.literal_error": 1,
    }
    assert [x.line_number for x in summary.invalid_lines] == [2, 3, 4]
    assert summary.invalid_lines[2].id == "a"
    assert summary.invalid_lines[2].violations[0].rule == "id.duplicate"
    many = summarize(verdicts(jsonl(broken)), max_reported_invalid=5).invalid_lines[0]
    assert len(many.violations) == MAX_VIOLATIONS_PER_LINE
    assert many.violations_total == 30
    assert json.loads(summary.model_dump_json())["total_lines"] == 7


def test_reported_id_is_truncated() -> None:
    (v,) = verdicts(jsonl(conv("x" * 5000)))
    assert v.id is not None and len(v.id) <= 201


def test_report_stays_small_whatever_the_line_quotes() -> None:
    huge_key = "k" * 100_000
    (reported,) = summarize(verdicts(jsonl(conv(**{huge_key: 1})))).invalid_lines
    assert reported.violations[0].rule == "schema.extra_forbidden"
    assert len(reported.violations[0].where) <= 301


def test_reads_a_real_file(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(jsonl(conv("a"), conv("b")))
    with path.open("rb") as stream:
        assert [v.valid for v in iter_verdicts(stream)] == [True, True]


# --------------------------------------------------------------------------- fuzzing


def expected_line_count(data: bytes) -> int:
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def check_never_crashes(data: bytes, limit: int) -> None:
    out = verdicts(data, DatasetLimits(max_line_bytes=limit))
    assert len(out) == expected_line_count(data)
    assert [v.line_number for v in out] == list(range(1, len(out) + 1))
    for v in out:
        assert v.valid == (not v.violations)
        assert v.valid == (v.conversation is not None)
    summarize(out)


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=400), st.integers(min_value=1, max_value=200))
def test_arbitrary_bytes_never_crash(data: bytes, limit: int) -> None:
    check_never_crashes(data, limit)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(st.lists(_JSON, max_size=5))
def test_arbitrary_json_lines_never_crash(values: list[Any]) -> None:
    check_never_crashes(jsonl(*[json.dumps(v) for v in values]), 10_000)


def _mutations() -> st.SearchStrategy[tuple[list[Any], Any]]:
    """A path into VALID and a replacement value for it."""
    paths = [
        ["id"],
        ["schema_version"],
        ["tools"],
        ["tools", 0, "function"],
        ["tools", 0, "function", "parameters"],
        ["messages"],
        ["messages", 0],
        ["messages", 1, "tool_calls"],
        ["messages", 1, "tool_calls", 0, "function", "arguments"],
        ["messages", 2, "tool_call_id"],
        ["messages", 3, "content"],
        ["messages", 3, "reasoning"],
        ["task"],
        ["verification"],
        ["metadata"],
    ]
    return st.tuples(st.sampled_from(paths), _JSON)


@FUZZ
@given(st.lists(_mutations(), min_size=1, max_size=3))
def test_mutated_conversations_never_crash(mutations: list[tuple[list[Any], Any]]) -> None:
    data = copy.deepcopy(VALID)
    for path, value in mutations:
        target: Any = data
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    check_never_crashes(jsonl(data, data), 100_000)


@FUZZ
@given(st.binary(max_size=60), st.integers(min_value=0, max_value=300))
def test_corrupted_valid_lines_never_crash(noise: bytes, at: int) -> None:
    line = json.dumps(VALID).encode()
    at = min(at, len(line))
    check_never_crashes(line[:at] + noise + line[at:] + b"\n" + line, 2000)
