"""Valid conversations to Parquet and back: exact round trip, stable schema."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dfab.contracts.dataset import Conversation, DatasetLimits
from dfab.dataset.ingest import ingest_jsonl
from dfab.dataset.parquet import (
    SCHEMA,
    ConversationWriter,
    read_conversations,
    read_rows,
)
from dfab.dataset.parser import iter_verdicts

BASE: dict[str, Any] = {
    "schema_version": 1,
    "id": "p-0",
    "task": {"category": "bug_fix", "language": "python", "difficulty": "easy", "summary": "s"},
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "write_file",
                "description": "Write a file",
                "strict": True,
                "parameters": {
                    "type": "object",
                    "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                    "required": ["path", "content"],
                    "additionalProperties": False,
                },
            },
        },
        {"type": "function", "function": {"name": "run_tests"}},
    ],
    "messages": [
        {"role": "system", "content": "You are a coding agent."},
        {
            "role": "user",
            "content": [{"type": "text", "text": "Add"}, {"type": "text", "text": "it"}],
        },
        {
            "role": "assistant",
            "thinking": "I will write the file.",
            "content": "Writing.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {
                        "name": "write_file",
                        "arguments": {
                            "path": "add.py",
                            "content": "def add(a, b):\n    return a + b\n",
                        },
                    },
                },
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "run_tests", "arguments": "{}"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "name": "write_file", "content": "written"},
        {"role": "tool", "tool_call_id": "c2", "content": "1 passed ✓"},
        {"role": "assistant", "reasoning_content": "Done.", "content": "Added `add` 🎉."},
    ],
    "verification": {
        "kind": "command",
        "files": {"add.py": "def add(a, b):\n    return a + b\n", "tests/test_add.py": "x = 1\n"},
        "command": ["python", "-m", "pytest", "-q"],
        "timeout_s": 20,
        "solution_files": ["add.py"],
    },
    "metadata": {"seed": 12345678901234567890, "ratio": 0.1, "nested": {"a": [1, None, "é"]}},
}


def variants() -> list[dict[str, Any]]:
    out = []
    plain = copy.deepcopy(BASE)
    out.append(plain)
    no_extras = copy.deepcopy(BASE)
    no_extras["id"] = "p-1"
    del no_extras["tools"][0]["function"]["strict"]
    no_extras["task"]["language"] = ["python", "bash"]
    del no_extras["verification"]
    out.append(no_extras)
    bare = {
        "schema_version": 1,
        "id": "p-2",
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
    }
    out.append(bare)
    empty_task = copy.deepcopy(bare)
    empty_task["id"] = "p-3"
    empty_task["task"] = {}
    empty_task["metadata"] = {"": [], "k": {}}
    out.append(empty_task)
    return out


def write_jsonl(path: Path, lines: list[Any]) -> None:
    path.write_bytes(b"".join(json.dumps(x, ensure_ascii=False).encode() + b"\n" for x in lines))


def parsed(path: Path) -> list[tuple[int, Conversation]]:
    with path.open("rb") as stream:
        return [(v.line_number, v.conversation) for v in iter_verdicts(stream) if v.conversation]


@pytest.fixture
def dataset(tmp_path: Path) -> tuple[Path, Path]:
    jsonl = tmp_path / "d.jsonl"
    lines: list[Any] = variants()
    lines.insert(2, "not a conversation")
    write_jsonl(jsonl, lines)
    out = tmp_path / "d.parquet"
    result = ingest_jsonl(jsonl, out, DatasetLimits(), 10)
    assert result.summary.valid == 4 and result.summary.invalid == 1
    assert result.verifiable_ids == ["p-0"]
    return jsonl, out


def test_round_trip_gives_the_parsed_conversations(dataset: tuple[Path, Path]) -> None:
    jsonl, out = dataset
    expected = parsed(jsonl)
    assert [c for _, c in expected] == list(read_conversations(out))
    assert expected == list(read_rows(out))
    assert [n for n, _ in expected] == [1, 2, 4, 5]


def test_read_table_shows_the_normalized_chat_columns(dataset: tuple[Path, Path]) -> None:
    _, out = dataset
    table = pq.read_table(out)
    assert table.schema.remove_metadata().equals(SCHEMA.remove_metadata())
    assert table.schema.metadata[b"dfab.parquet_layout"] == b"1"
    row = table.slice(0, 1).to_pylist()[0]
    assert row["id"] == "p-0" and row["line_number"] == 1 and row["schema_version"] == 1
    user, call_msg = row["messages"][1], row["messages"][2]
    assert user == {
        "role": "user",
        "content": "Add\nit",
        "reasoning_content": None,
        "tool_calls": None,
        "tool_call_id": None,
        "name": None,
    }
    assert call_msg["reasoning_content"] == "I will write the file."
    args = call_msg["tool_calls"][0]["function"]["arguments"]
    assert isinstance(args, str) and json.loads(args)["path"] == "add.py"
    function = row["tools"][0]["function"]
    assert set(function) == {"name", "description", "parameters"}
    assert json.loads(function["parameters"])["required"] == ["path", "content"]
    assert json.loads(row["tool_extras"]) == [{"strict": True}, {}]
    assert json.loads(row["verification"])["timeout_s"] == 20
    assert json.loads(row["metadata"])["seed"] == 12345678901234567890
    assert row["task"]["language"] == "python" and row["task"]["language_list"] is None
    second = table.slice(1, 1).to_pylist()[0]
    assert second["task"]["language"] is None
    assert second["task"]["language_list"] == ["python", "bash"]
    assert second["verification"] is None and second["tool_extras"] is None


def test_small_batches_make_several_row_groups(tmp_path: Path) -> None:
    jsonl = tmp_path / "d.jsonl"
    lines = []
    for i in range(7):
        line = copy.deepcopy(BASE)
        line["id"] = f"b-{i}"
        lines.append(line)
    write_jsonl(jsonl, lines)
    out = tmp_path / "d.parquet"
    with ConversationWriter(out, batch_rows=3) as writer:
        for number, conv in parsed(jsonl):
            writer.write(conv, number)
    assert pq.ParquetFile(out).metadata.num_row_groups == 3
    by_bytes = tmp_path / "e.parquet"
    with ConversationWriter(by_bytes, batch_bytes=1) as writer:
        for number, conv in parsed(jsonl):
            writer.write(conv, number, approx_bytes=100)
    assert pq.ParquetFile(by_bytes).metadata.num_row_groups == 7
    assert [c.id for c in read_conversations(by_bytes, batch_rows=2)] == [
        f"b-{i}" for i in range(7)
    ]


def test_no_valid_line_still_gives_a_readable_file(tmp_path: Path) -> None:
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_bytes(b"{}\n[]\n")
    out = tmp_path / "bad.parquet"
    result = ingest_jsonl(jsonl, out, DatasetLimits(), 10)
    assert result.summary.valid == 0
    assert pq.read_table(out).num_rows == 0
    assert list(read_conversations(out)) == []


def test_writes_to_a_file_object() -> None:
    sink = io.BytesIO()
    with ConversationWriter(sink) as writer:
        conv = Conversation.model_validate(variants()[2])
        writer.write(conv, 9)
    assert list(read_rows(io.BytesIO(sink.getvalue()))) == [(9, conv)]


def test_a_foreign_parquet_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"id": ["x"]}), path)
    with pytest.raises(ValueError, match="not a dfab dataset"):
        list(read_conversations(path))


# The layout is a published format: changing it means a new PARQUET_LAYOUT_VERSION and
# an updated docs/dataset-parquet.md, never a silent drift.
EXPECTED_COLUMNS = {
    "id": "string",
    "messages": "list<item: struct<role: string, content: string, reasoning_content: string, "
    "tool_calls: list<item: struct<id: string, type: string, function: struct<name: string, "
    "arguments: string>>>, tool_call_id: string, name: string>>",
    "tools": "list<item: struct<type: string, function: struct<name: string, "
    "description: string, parameters: extension<arrow.json>>>>",
    "task": "struct<category: string, language: string, language_list: list<item: string>, "
    "difficulty: string, summary: string>",
    "verification": "extension<arrow.json>",
    "metadata": "extension<arrow.json>",
    "tool_extras": "extension<arrow.json>",
    "line_number": "int64",
    "schema_version": "int32",
}


def test_schema_is_stable() -> None:
    assert {f.name: str(f.type) for f in SCHEMA} == EXPECTED_COLUMNS
    assert [f.name for f in SCHEMA if not f.nullable] == [
        "id",
        "messages",
        "tools",
        "metadata",
        "line_number",
        "schema_version",
    ]


def test_schema_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "dataset-parquet.md").read_text()
    for name in EXPECTED_COLUMNS:
        assert f"| `{name}` |" in doc, f"docs/dataset-parquet.md does not describe {name}"
