"""Conversation sources for the scoring pass, as record batches plus their texts.

The stored dataset is read straight from Parquet, one record batch at a time: its
texts go to the sketches as Arrow arrays (no Python strings), and only the rows the
pass analyses in full are turned into views. Conversations that come as models (a
probe, a test) take the same route through a small in-memory batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dfab.contracts.dataset import Conversation
from dfab.scoring.extract.sketches import TextBatch
from dfab.scoring.extract.views import ConvView, ViewBuilder

#: The Parquet columns scoring reads (metadata and line numbers are not scored).
COLUMNS = ("id", "messages", "tools", "task", "verification")


@dataclass
class SourceBatch:
    """A batch of conversations: their ids, their texts, and views on demand."""

    ids: list[str]
    texts: TextBatch
    view: Callable[[list[int]], list[ConvView]]


def texts_of_messages(messages: pa.Array) -> TextBatch:
    """Texts of a `list<message>` column: user/assistant contents, reasoning, call arguments."""
    if isinstance(messages, pa.ChunkedArray):
        messages = messages.combine_chunks()
    flat = messages.flatten()
    owner = pc.list_parent_indices(messages).to_numpy(zero_copy_only=False).astype(np.int64)
    role = pc.struct_field(flat, "role")
    spoken = pc.or_(pc.equal(role, "user"), pc.equal(role, "assistant"))
    content = pc.if_else(spoken, pc.struct_field(flat, "content"), pa.scalar(None, pa.string()))
    reasoning = pc.struct_field(flat, "reasoning_content")
    calls = pc.struct_field(flat, "tool_calls")
    call_owner = owner[pc.list_parent_indices(calls).to_numpy(zero_copy_only=False)]
    arguments = pc.struct_field(pc.struct_field(pc.list_flatten(calls), "function"), "arguments")
    return TextBatch(
        strings=[content, reasoning, arguments],
        owners=[owner, owner, call_owner.astype(np.int64)],
        size=len(messages),
    )


def iter_parquet(path: Path, batch_rows: int = 500) -> Iterator[SourceBatch]:
    """Record batches of the dataset Parquet file written by the parse step."""
    builder = ViewBuilder()
    file = pq.ParquetFile(path)
    for rb in file.iter_batches(batch_size=batch_rows, columns=list(COLUMNS)):
        ids = rb.column("id").to_pylist()

        def view(rows: list[int], rb: pa.RecordBatch = rb) -> list[ConvView]:
            if not rows:
                return []
            picked = rb.take(pa.array(rows, type=pa.int64()))
            return [builder.from_row(r) for r in picked.to_pylist()]

        yield SourceBatch(ids, texts_of_messages(rb.column("messages")), view)


def _views_texts(views: list[ConvView]) -> TextBatch:
    contents: list[str | None] = []
    reasonings: list[str | None] = []
    owners: list[int] = []
    args: list[str] = []
    arg_owners: list[int] = []
    for k, v in enumerate(views):
        for m in v.messages:
            contents.append(m.content if m.role in ("user", "assistant") else None)
            reasonings.append(m.reasoning)
            owners.append(k)
            for c in m.calls:
                args.append(c.arguments)
                arg_owners.append(k)
    own = np.array(owners, dtype=np.int64)
    return TextBatch(
        strings=[
            pa.array(contents, pa.string()),
            pa.array(reasonings, pa.string()),
            pa.array(args, pa.string()),
        ],
        owners=[own, own, np.array(arg_owners, dtype=np.int64)],
        size=len(views),
    )


def iter_conversations(
    conversations: Iterable[Conversation], batch_rows: int = 500
) -> Iterator[SourceBatch]:
    """Batches of validated models (probes, tests, callers without a Parquet file)."""
    builder = ViewBuilder()
    chunk: list[ConvView] = []

    def flush(views: list[ConvView]) -> SourceBatch:
        return SourceBatch(
            [v.id for v in views], _views_texts(views), lambda rows, vs=views: [vs[i] for i in rows]
        )

    for conv in conversations:
        chunk.append(builder.from_conversation(conv))
        if len(chunk) >= batch_rows:
            yield flush(chunk)
            chunk = []
    if chunk:
        yield flush(chunk)
