"""The dataset-line and manifest contracts: each rule of CONTRACTS.md §3 gives its rule id
and location, and the accepted aliases are normalized."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from dfab.contracts.dataset import (
    MAX_JSON_DEPTH,
    DatasetLimits,
    normalize_code,
    parse_conversation,
)
from dfab.contracts.manifest import parse_manifest
from dfab.contracts.reasons import ReasonClass, VerdictError

# CONTRACTS.md §3's example, verbatim ("..." is the solution file and appears in the answer).
EXAMPLE: dict[str, Any] = {
    "schema_version": 1,
    "id": "conv-000123",
    "task": {
        "category": "bug_fix",
        "language": "python",
        "difficulty": "medium",
        "summary": "Fix off-by-one in pagination helper",
    },
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "read_file",
                "description": "Read a file",
                "parameters": {
                    "type": "object",
                    "properties": {"path": {"type": "string"}},
                    "required": ["path"],
                },
            },
        }
    ],
    "messages": [
        {"role": "system", "content": "You are a coding agent working in a repository."},
        {"role": "user", "content": "Page 2 of /api/items repeats the last item of page 1 ..."},
        {
            "role": "assistant",
            "reasoning_content": "The bug is likely in paginate() ...",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {
                        "name": "read_file",
                        "arguments": '{"path": "app/pagination.py"}',
                    },
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "name": "read_file",
            "content": "def paginate(...): ...",
        },
        {
            "role": "assistant",
            "reasoning_content": "start should be (page-1)*size ...",
            "content": "The slice started one item early. Fixed version:\n```python\n...\n```",
        },
    ],
    "verification": {
        "kind": "command",
        "files": {"pagination.py": "...", "test_pagination.py": "..."},
        "command": ["python", "-m", "pytest", "-q"],
        "timeout_s": 30,
        "expect_exit_code": 0,
        "solution_files": ["pagination.py"],
    },
    "metadata": {},
}

Mutation = Callable[[dict[str, Any]], None]


def line(mutate: Mutation | None = None) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE)
    if mutate is not None:
        mutate(data)
    return data


DEFAULT = DatasetLimits()


def judge(data: dict[str, Any], limits: DatasetLimits = DEFAULT) -> set[tuple[str, str]]:
    conv, violations = parse_conversation(data, limits)
    assert (conv is None) == bool(violations)
    return {(v.rule, v.where) for v in violations}


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting `a.b[2].c` (list indexes in brackets) to `value`."""

    def apply(data: dict[str, Any]) -> None:
        keys: list[Any] = []
        for part in path.replace("[", ".[").split("."):
            keys.append(int(part[1:-1]) if part.startswith("[") else part)
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return apply


def _delete(path: str) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        head, _, last = path.rpartition(".")
        target: Any = data
        for key in head.split(".") if head else []:
            target = target[key]
        del target[last]

    return apply


def _file(path: str, text: str) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        data["verification"]["files"][path] = text

    return apply


def _messages(*edits: Callable[[list[dict[str, Any]]], None]) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        for edit in edits:
            edit(data["messages"])

    return apply


MSG = "messages"
CALL0 = "messages[2].tool_calls[0]"
ANSWER = {"role": "assistant", "content": "done"}
TOOL_ANSWER = {"role": "tool", "tool_call_id": "call_1", "content": "x"}

# (case id, mutation, expected (rule, where) among the violations)
CASES: list[tuple[str, Mutation, tuple[str, str]]] = [
    # ids
    ("id missing", _delete("id"), ("schema.missing", "id")),
    ("id empty", _set("id", ""), ("schema.string_too_short", "id")),
    ("id not a string", _set("id", 7), ("schema.string_type", "id")),
    ("id too long", _set("id", "x" * 129), ("id.length", "id")),
    # shape of the line
    ("unknown field", _set("extra", 1), ("schema.extra_forbidden", "extra")),
    ("schema_version 2", _set("schema_version", 2), ("schema.literal_error", "schema_version")),
    # messages count
    (
        "one message",
        _messages(lambda m: m.__delitem__(slice(0, 4))),
        ("messages.count", MSG),
    ),
    ("no messages", _set(MSG, []), ("messages.count", MSG)),
    (
        "513 messages",
        _messages(lambda m: m.__setitem__(slice(4, 4), [ANSWER] * 508)),
        ("messages.count", MSG),
    ),
    # roles
    ("unknown role", _set("messages[1].role", "bot"), ("schema.literal_error", "messages[1].role")),
    (
        "system not first",
        _messages(lambda m: m.insert(2, {"role": "system", "content": "again"})),
        ("roles.system_not_first", "messages[2]"),
    ),
    (
        "first non-system is assistant",
        _messages(lambda m: m.__setitem__(1, {"role": "assistant", "content": "hi"})),
        ("roles.first_not_user", "messages[1]"),
    ),
    (
        "no system, first is tool",
        _messages(lambda m: m.__delitem__(slice(0, 2))),
        ("roles.first_not_user", "messages[0]"),
    ),
    (
        "last is a tool message",
        _messages(lambda m: m.pop()),
        ("roles.last_not_final_answer", "messages[3]"),
    ),
    (
        "final answer null",
        _set("messages[4].content", None),
        ("roles.last_not_final_answer", "messages[4]"),
    ),
    (
        "final answer blank",
        _set("messages[4].content", " \n "),
        ("roles.last_not_final_answer", "messages[4]"),
    ),
    (
        "user without content",
        _set("messages[1].content", None),
        ("user.no_content", "messages[1].content"),
    ),
    (
        "tool without content",
        _set("messages[3].content", None),
        ("tool.no_content", "messages[3].content"),
    ),
    # tool calls
    (
        "tool_calls on a user message",
        _set("messages[1].tool_calls", EXAMPLE["messages"][2]["tool_calls"]),
        ("tool_calls.not_assistant", "messages[1]"),
    ),
    (
        "arguments not JSON",
        _set(f"{CALL0}.function.arguments", "{path: 1}"),
        ("schema.value_error", f"{CALL0}.function.arguments"),
    ),
    (
        "arguments a JSON array",
        _set(f"{CALL0}.function.arguments", "[1, 2]"),
        ("schema.value_error", f"{CALL0}.function.arguments"),
    ),
    (
        "arguments with NaN",
        _set(f"{CALL0}.function.arguments", '{"x": NaN}'),
        ("schema.value_error", f"{CALL0}.function.arguments"),
    ),
    (
        "arguments nested too deep",
        _set(f"{CALL0}.function.arguments", json.dumps(nested(MAX_JSON_DEPTH + 1))),
        ("schema.value_error", f"{CALL0}.function.arguments"),
    ),
    (
        "arguments a number",
        _set(f"{CALL0}.function.arguments", 5),
        ("schema.string_type", f"{CALL0}.function.arguments"),
    ),
    (
        "undeclared tool",
        _set(f"{CALL0}.function.name", "write_file"),
        ("tool_calls.undeclared_tool", f"{CALL0}.function.name"),
    ),
    (
        "calls without tools",
        _set("tools", []),
        ("tool_calls.undeclared_tool", f"{CALL0}.function.name"),
    ),
    (
        "duplicate call id",
        _messages(
            lambda m: m[2]["tool_calls"].append(copy.deepcopy(m[2]["tool_calls"][0])),
            lambda m: m.insert(4, dict(TOOL_ANSWER)),
        ),
        ("tool_calls.duplicate_id", "messages[2].tool_calls[1]"),
    ),
    (
        "call never answered",
        _messages(lambda m: m.pop(3)),
        ("tool_calls.unanswered", "messages[2]"),
    ),
    (
        "call answered after the next assistant message",
        _messages(lambda m: m.insert(4, m.pop(3)), lambda m: m.append(dict(ANSWER))),
        ("tool_calls.unanswered", "messages[2]"),
    ),
    (
        "tool message answering no call",
        _set("messages[3].tool_call_id", "call_9"),
        ("tool.unanswered_call_id", "messages[3].tool_call_id"),
    ),
    (
        "call answered twice",
        _messages(lambda m: m.insert(4, dict(TOOL_ANSWER))),
        ("tool.unanswered_call_id", "messages[4].tool_call_id"),
    ),
    (
        "two tools with one name",
        _set("tools", EXAMPLE["tools"] * 2),
        ("tools.duplicate_name", "tools"),
    ),
    # content parts and reasoning
    (
        "content part of an unknown type",
        _set("messages[1].content", [{"type": "image_url", "image_url": "x"}]),
        ("schema.value_error", "messages[1].content"),
    ),
    (
        "content part not an object",
        _set("messages[1].content", ["text"]),
        ("schema.value_error", "messages[1].content"),
    ),
    (
        "reasoning on a user message",
        _set("messages[1].reasoning_content", "hmm"),
        ("reasoning.not_assistant", "messages[1]"),
    ),
    (
        "alias reasoning on a tool message",
        _set("messages[3].thinking", "hmm"),
        ("reasoning.not_assistant", "messages[3]"),
    ),
    (
        "reasoning and a different alias",
        _set("messages[2].reasoning", "other"),
        ("schema.value_error", "messages[2]"),
    ),
    # task
    (
        "difficulty not in enum",
        _set("task.difficulty", "trivial"),
        ("schema.literal_error", "task.difficulty"),
    ),
    ("language a number", _set("task.language", 3), ("schema.value_error", "task.language")),
    (
        "language list of numbers",
        _set("task.language", [3]),
        ("schema.value_error", "task.language"),
    ),
    (
        "category too long",
        _set("task.category", "c" * 65),
        ("schema.string_too_long", "task.category"),
    ),
    # verification
    (
        "verification kind",
        _set("verification.kind", "docker"),
        ("schema.literal_error", "verification.kind"),
    ),
    (
        "file path with ..",
        _set("verification.files", {"../pagination.py": "...", "pagination.py": "..."}),
        ("schema.value_error", "verification.files"),
    ),
    (
        "absolute file path",
        _set("verification.files", {"/etc/x.py": "...", "pagination.py": "..."}),
        ("schema.value_error", "verification.files"),
    ),
    (
        "backslash file path",
        _set("verification.files", {"a\\b.py": "...", "pagination.py": "..."}),
        ("schema.value_error", "verification.files"),
    ),
    (
        "empty path component",
        _set("verification.files", {"a//b.py": "...", "pagination.py": "..."}),
        ("schema.value_error", "verification.files"),
    ),
    (
        "trailing slash path",
        _set("verification.files", {"dir/": "...", "pagination.py": "..."}),
        ("schema.value_error", "verification.files"),
    ),
    ("no files", _set("verification.files", {}), ("schema.too_short", "verification.files")),
    (
        "empty command",
        _set("verification.command", []),
        ("schema.too_short", "verification.command"),
    ),
    (
        "timeout 0",
        _set("verification.timeout_s", 0),
        ("schema.greater_than_equal", "verification.timeout_s"),
    ),
    (
        "timeout 61",
        _set("verification.timeout_s", 61),
        ("schema.less_than_equal", "verification.timeout_s"),
    ),
    (
        "timeout fractional",
        _set("verification.timeout_s", 1.5),
        ("schema.int_type", "verification.timeout_s"),
    ),
    (
        "timeout as a string",
        _set("verification.timeout_s", "30"),
        ("schema.int_type", "verification.timeout_s"),
    ),
    (
        "schema_version true",
        _set("schema_version", True),
        ("schema.schema_version", "schema_version"),
    ),
    (
        "exit code 256",
        _set("verification.expect_exit_code", 256),
        ("schema.less_than_equal", "verification.expect_exit_code"),
    ),
    (
        "solution_files empty",
        _set("verification.solution_files", []),
        ("schema.too_short", "verification.solution_files"),
    ),
    (
        "solution file not a key of files",
        _set("verification.solution_files", ["other.py"]),
        ("schema.value_error", "verification"),
    ),
    (
        "verification file too large",
        _file("test_pagination.py", "x" * (64 * 1024 + 1)),
        ("verification.file_size", "verification.files['test_pagination.py']"),
    ),
    (
        "solution not in the conversation",
        _file("pagination.py", "def paginate(): pass"),
        (
            "verification.solution_not_in_conversation",
            "verification.solution_files['pagination.py']",
        ),
    ),
    (
        "solution only in a tool result",
        _file("pagination.py", "def paginate(...): ..."),
        (
            "verification.solution_not_in_conversation",
            "verification.solution_files['pagination.py']",
        ),
    ),
    (
        "blank solution file",
        _file("pagination.py", " \n\n"),
        (
            "verification.solution_not_in_conversation",
            "verification.solution_files['pagination.py']",
        ),
    ),
    # metadata
    ("metadata over 64 KiB", _set("metadata", {"x": "a" * 65536}), ("metadata.size", "metadata")),
    (
        "metadata over 64 KiB in UTF-8 bytes only",
        _set("metadata", {"x": "é" * 33000}),
        ("metadata.size", "metadata"),
    ),
    ("metadata not an object", _set("metadata", [1]), ("schema.dict_type", "metadata")),
    (
        "metadata too deep",
        _set("metadata", nested(MAX_JSON_DEPTH + 1)),
        ("json.too_deep", "metadata"),
    ),
    (
        "tool parameters too deep",
        _set("tools[0].function.parameters", nested(MAX_JSON_DEPTH + 1)),
        ("json.too_deep", "tools[0].function"),
    ),
    (
        "tool name with a space",
        _set("tools[0].function.name", "read file"),
        ("schema.string_pattern_mismatch", "tools[0].function.name"),
    ),
]


def test_the_contract_example_is_valid() -> None:
    conv, violations = parse_conversation(line())
    assert violations == []
    assert conv is not None
    assert conv.id == "conv-000123"
    assert conv.final_answer.startswith("The slice started")
    assert conv.tool_names() == {"read_file"}
    assert conv.task is not None and conv.task.languages == ["python"]
    assert conv.verification is not None and conv.verification.timeout_s == 30


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_names_its_rule_and_place(mutate: Mutation, expected: tuple[str, str]) -> None:
    found = judge(line(mutate))
    assert expected in found, f"expected {expected}, got {sorted(found)}"


def test_limits_are_configurable() -> None:
    limits = DatasetLimits(max_messages=4, max_id_chars=5)
    found = judge(line(), limits)
    assert ("messages.count", MSG) in found
    assert ("id.length", "id") in found
    assert judge(line(_set("id", "x" * 128))) == set()


def test_not_an_object() -> None:
    for value in ([], "x", 1, None):
        conv, violations = parse_conversation(value)
        assert conv is None
        assert [(v.rule, v.where) for v in violations] == [("line.not_object", "(line)")]


def test_every_violation_is_reported_not_just_the_first() -> None:
    def two_problems(data: dict[str, Any]) -> None:
        data["id"] = "x" * 200
        data["messages"][1]["reasoning_content"] = "hmm"

    assert {r for r, _ in judge(line(two_problems))} == {"id.length", "reasoning.not_assistant"}


def test_arguments_object_is_normalized_to_a_json_string() -> None:
    conv, _ = parse_conversation(line(_set(f"{CALL0}.function.arguments", {"path": "é.py"})))
    assert conv is not None
    call = conv.messages[2].tool_calls[0]  # type: ignore[index]
    assert isinstance(call.function.arguments, str)
    assert json.loads(call.function.arguments) == {"path": "é.py"}
    assert call.function.decoded_arguments() == {"path": "é.py"}


def test_arguments_object_too_deep_is_refused() -> None:
    found = judge(line(_set(f"{CALL0}.function.arguments", nested(MAX_JSON_DEPTH + 1))))
    assert ("schema.value_error", f"{CALL0}.function.arguments") in found


def test_deep_arguments_never_raise() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    found = judge(line(_set(f"{CALL0}.function.arguments", deep)))
    assert ("schema.value_error", f"{CALL0}.function.arguments") in found


def test_content_parts_are_joined() -> None:
    parts = [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}]
    conv, _ = parse_conversation(line(_set("messages[1].content", parts)))
    assert conv is not None
    assert conv.messages[1].content == "first\nsecond"


@pytest.mark.parametrize("alias", ["reasoning", "thinking"])
def test_reasoning_aliases_are_normalized(alias: str) -> None:
    def use_alias(data: dict[str, Any]) -> None:
        msg = data["messages"][4]
        msg[alias] = msg.pop("reasoning_content")

    conv, _ = parse_conversation(line(use_alias))
    assert conv is not None
    assert conv.messages[4].reasoning_content == "start should be (page-1)*size ..."


def test_alias_equal_to_reasoning_content_is_accepted() -> None:
    conv, _ = parse_conversation(
        line(_set("messages[2].thinking", "The bug is likely in paginate() ..."))
    )
    assert conv is not None


def test_language_list_and_string() -> None:
    conv, _ = parse_conversation(line(_set("task.language", [" Python ", "SQL", " "])))
    assert conv is not None and conv.task is not None
    assert conv.task.languages == ["python", "sql"]


def test_task_and_verification_are_optional() -> None:
    def strip(data: dict[str, Any]) -> None:
        del data["task"], data["verification"], data["metadata"]

    conv, _ = parse_conversation(line(strip))
    assert conv is not None and conv.task is None and conv.verification is None
    assert conv.metadata == {}


def test_tool_message_name_is_optional() -> None:
    data = line()
    del data["messages"][3]["name"]
    assert judge(data) == set()


# ------------------------------------------------------------- solution-file normalization

SOLUTION = (
    "def paginate(items, page, size):\n"
    "    start = (page - 1) * size\n"
    "    return items[start:start + size]"
)


def _with_solution(
    file_text: str, answer_code: str, *, in_arguments: bool = False
) -> dict[str, Any]:
    def apply(data: dict[str, Any]) -> None:
        data["verification"]["files"]["pagination.py"] = file_text
        if in_arguments:
            data["tools"].append(
                {"type": "function", "function": {"name": "write_file", "parameters": {}}}
            )
            data["messages"][2]["tool_calls"][0]["function"] = {
                "name": "write_file",
                "arguments": json.dumps({"path": "pagination.py", "content": answer_code}),
            }
        else:
            data["messages"][4]["content"] = f"Fixed:\n```python\n{answer_code}\n```\nDone."

    return line(apply)


@pytest.mark.parametrize(
    ("file_text", "answer_code"),
    [
        (SOLUTION, SOLUTION),
        (SOLUTION.replace("\n", "\r\n"), SOLUTION),  # CRLF in the file
        (SOLUTION, SOLUTION.replace("\n", "\r\n")),  # CRLF in the answer
        (SOLUTION.replace("\n", "   \n") + "\t", SOLUTION),  # trailing spaces in the file
        (SOLUTION, SOLUTION.replace("\n", "  \n")),  # trailing spaces in the answer
        ("\n\n  \n" + SOLUTION + "\n\n\n", SOLUTION),  # leading/trailing blank lines
        (SOLUTION.replace("\n", "\r"), SOLUTION),  # old Mac line ends
    ],
    ids=[
        "same",
        "crlf-file",
        "crlf-answer",
        "trailing-file",
        "trailing-answer",
        "blank-lines",
        "cr",
    ],
)
def test_solution_file_matches_after_normalization(file_text: str, answer_code: str) -> None:
    assert judge(_with_solution(file_text, answer_code)) == set()


def test_solution_file_may_appear_in_call_arguments() -> None:
    assert judge(_with_solution(SOLUTION, SOLUTION, in_arguments=True)) == set()


@pytest.mark.parametrize(
    "answer_code",
    [
        SOLUTION.replace("    start", "  start"),  # leading indentation is significant
        SOLUTION.replace("\n", "\n\n"),  # interior blank lines are significant
        SOLUTION[: len(SOLUTION) // 2],  # only part of the file
    ],
)
def test_solution_file_must_really_appear(answer_code: str) -> None:
    found = judge(_with_solution(SOLUTION, answer_code))
    assert {r for r, _ in found} == {"verification.solution_not_in_conversation"}


def test_normalize_code() -> None:
    assert normalize_code("\r\n\n  a  \r\n\tb\t\n\n") == "  a\n\tb"
    assert normalize_code("") == ""
    assert normalize_code(" \n \n") == ""


# ------------------------------------------------------------------------- manifest

MANIFEST = """\
[harness]
name = "my-harness"
version = "0.1.0"
entrypoint = "generate.py"
description = "What this harness generates and how."
dependencies = []
"""


def test_manifest_valid() -> None:
    manifest = parse_manifest(MANIFEST)
    assert manifest.harness.name == "my-harness"
    assert manifest.harness.dependencies == []
    assert parse_manifest(MANIFEST.encode()).harness.entrypoint == "generate.py"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('name = "my-harness"', 'name = "My_Harness"'),
        ('name = "my-harness"', 'name = ""'),
        ('name = "my-harness"', f'name = "{"a" * 65}"'),
        ('version = "0.1.0"', 'version = "1.0"'),
        ('entrypoint = "generate.py"', 'entrypoint = "generate.sh"'),
        ('entrypoint = "generate.py"', 'entrypoint = "../generate.py"'),
        ('entrypoint = "generate.py"', 'entrypoint = "/generate.py"'),
        ('entrypoint = "generate.py"', 'entrypoint = "src\\\\generate.py"'),
        ('description = "What this harness generates and how."', 'description = ""'),
        ("dependencies = []", 'dependencies = ["requests>=2"]'),
        ("dependencies = []", 'dependencies = ["numpy[extra]"]'),
        ("dependencies = []", "dependencies = []\nunknown = 1"),
        ("[harness]", "[harnes]"),
        ('version = "0.1.0"', "version = "),
    ],
)
def test_manifest_invalid(old: str, new: str) -> None:
    text = MANIFEST.replace(old, new)
    assert text != MANIFEST
    with pytest.raises(VerdictError) as info:
        parse_manifest(text)
    assert info.value.reason.reason_class is ReasonClass.MANIFEST_INVALID


def test_manifest_not_utf8() -> None:
    with pytest.raises(VerdictError) as info:
        parse_manifest(b"\xff\xfe[harness]")
    assert info.value.reason.reason_class is ReasonClass.MANIFEST_INVALID
