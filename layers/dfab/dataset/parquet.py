"""Valid conversations as Parquet: a streaming writer and a reader back to `Conversation`.

The schema (docs/dataset-parquet.md) keeps `messages` and `tools` as nested columns in
the OpenAI chat shape, so `datasets.load_dataset("parquet", ...)` hands them straight to
a chat template. Free-form JSON (tool `parameters`, `verification`, `metadata`, extra
tool keys) is stored as JSON text typed `arrow.json` (Parquet logical type JSON): JSON
Schema objects and metadata differ from row to row, and a struct would force one merged
set of keys on all of them; `datasets` 5 decodes `arrow.json` back into Python objects.

Writing is bounded: rows are buffered up to `batch_rows` or `batch_bytes` (estimated from
the JSONL line size) and then written as one row group.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from types import TracebackType
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from dfab.contracts.dataset import Conversation

#: Version of this Parquet layout (stored in the schema metadata).
PARQUET_LAYOUT_VERSION = "1"
JSON_TYPE = pa.json_()


def _schema(json_type: pa.DataType) -> pa.Schema:
    call = pa.struct(
        [
            ("id", pa.string()),
            ("type", pa.string()),
            ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())])),
        ]
    )
    message = pa.struct(
        [
            ("role", pa.string()),
            ("content", pa.string()),
            ("reasoning_content", pa.string()),
            ("tool_calls", pa.list_(call)),
            ("tool_call_id", pa.string()),
            ("name", pa.string()),
        ]
    )
    tool = pa.struct(
        [
            ("type", pa.string()),
            (
                "function",
                pa.struct(
                    [
                        ("name", pa.string()),
                        ("description", pa.string()),
                        ("parameters", json_type),
                    ]
                ),
            ),
        ]
    )
    task = pa.struct(
        [
            ("category", pa.string()),
            ("language", pa.string()),
            ("language_list", pa.list_(pa.string())),
            ("difficulty", pa.string()),
            ("summary", pa.string()),
        ]
    )
    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("messages", pa.list_(message), nullable=False),
            pa.field("tools", pa.list_(tool), nullable=False),
            pa.field("task", task),
            pa.field("verification", json_type),
            pa.field("metadata", json_type, nullable=False),
            pa.field("tool_extras", json_type),
            pa.field("line_number", pa.int64(), nullable=False),
            pa.field("schema_version", pa.int32(), nullable=False),
        ],
        metadata={"dfab.parquet_layout": PARQUET_LAYOUT_VERSION},
    )


#: The published schema (JSON columns typed `arrow.json`).
SCHEMA = _schema(JSON_TYPE)
#: The same with plain strings: rows are built against it, then cast to SCHEMA.
_STORAGE_SCHEMA = _schema(pa.string())


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def conversation_to_row(conv: Conversation, line_number: int) -> dict[str, Any]:
    """One Parquet row (JSON columns as text) for a validated conversation."""
    tools = []
    extras = []
    for spec in conv.tools:
        function = spec.function
        extras.append(function.model_extra or {})
        tools.append(
            {
                "type": spec.type,
                "function": {
                    "name": function.name,
                    "description": function.description,
                    "parameters": _dumps(function.parameters),
                },
            }
        )
    task: dict[str, Any] | None = None
    if conv.task is not None:
        task = conv.task.model_dump()
        language = task["language"]
        task["language"] = language if isinstance(language, str) else None
        task["language_list"] = language if isinstance(language, list) else None
    verification = conv.verification
    return {
        "id": conv.id,
        "messages": [message.model_dump() for message in conv.messages],
        "tools": tools,
        "task": task,
        "verification": None if verification is None else verification.model_dump_json(),
        "metadata": _dumps(conv.metadata),
        "tool_extras": _dumps(extras) if any(extras) else None,
        "line_number": line_number,
        "schema_version": conv.schema_version,
    }


def row_to_conversation(row: dict[str, Any]) -> Conversation:
    """Rebuild (and re-validate) a conversation from a row read back from Parquet."""
    specs = row["tools"]
    extras = [{}] * len(specs) if row["tool_extras"] is None else json.loads(row["tool_extras"])
    tools = []
    for spec, extra in zip(specs, extras, strict=True):
        function = spec["function"]
        decoded = {
            **extra,
            "name": function["name"],
            "description": function["description"],
            "parameters": json.loads(function["parameters"]),
        }
        tools.append({"type": spec["type"], "function": decoded})
    task = row["task"]
    if task is not None:
        task = dict(task)
        language_list = task.pop("language_list")
        if language_list is not None:
            task["language"] = language_list
    verification = row["verification"]
    return Conversation.model_validate(
        {
            "schema_version": row["schema_version"],
            "id": row["id"],
            "task": task,
            "tools": tools,
            "messages": row["messages"],
            "verification": None if verification is None else json.loads(verification),
            "metadata": json.loads(row["metadata"]),
        }
    )


class ConversationWriter:
    """Streams conversations into one Parquet file, a row group per buffered batch."""

    def __init__(
        self,
        where: str | os.PathLike[str] | BinaryIO,
        *,
        batch_rows: int = 1000,
        batch_bytes: int = 64 * 1024 * 1024,
        compression: str = "zstd",
    ) -> None:
        self._writer = pq.ParquetWriter(where, SCHEMA, compression=compression)
        self._batch_rows = batch_rows
        self._batch_bytes = batch_bytes
        self._rows: list[dict[str, Any]] = []
        self._buffered_bytes = 0
        self.rows_written = 0

    def write(self, conv: Conversation, line_number: int, approx_bytes: int = 0) -> None:
        """Buffer one conversation; `approx_bytes` (its JSONL size) bounds the buffer."""
        self._rows.append(conversation_to_row(conv, line_number))
        self._buffered_bytes += approx_bytes
        if len(self._rows) >= self._batch_rows or self._buffered_bytes >= self._batch_bytes:
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        batch = pa.RecordBatch.from_pylist(self._rows, schema=_STORAGE_SCHEMA).cast(SCHEMA)
        self._writer.write_batch(batch)
        self.rows_written += len(self._rows)
        self._rows = []
        self._buffered_bytes = 0

    def close(self) -> None:
        """Write what is buffered and the footer (an empty dataset is a valid empty file)."""
        try:
            self.flush()
        finally:
            self._writer.close()

    def __enter__(self) -> ConversationWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._writer.close()


def _open_checked(source: str | os.PathLike[str] | BinaryIO) -> pq.ParquetFile:
    file = pq.ParquetFile(source)
    found = file.schema_arrow.remove_metadata()
    if not found.equals(SCHEMA.remove_metadata()):
        raise ValueError(
            "not a dfab dataset Parquet file: its schema differs from docs/dataset-parquet.md"
        )
    return file


def read_rows(
    source: str | os.PathLike[str] | BinaryIO, *, batch_rows: int = 1000
) -> Iterator[tuple[int, Conversation]]:
    """Yield `(line_number, conversation)` in file order, one row group at a time."""
    file = _open_checked(source)
    for batch in file.iter_batches(batch_size=batch_rows):
        for row in batch.to_pylist():
            yield row["line_number"], row_to_conversation(row)


def read_conversations(
    source: str | os.PathLike[str] | BinaryIO, *, batch_rows: int = 1000
) -> Iterator[Conversation]:
    """Yield the conversations of a file written by `ConversationWriter`, in order."""
    for _, conv in read_rows(source, batch_rows=batch_rows):
        yield conv
