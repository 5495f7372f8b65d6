"""A light, read-only view of one conversation, built from a Parquet row or a model.

Scoring reads conversations that the parse step has already validated. Re-validating
every row through pydantic costs about as much as all the signals together, so the
scorer reads Parquet rows into these plain slotted objects instead; the pydantic path
(`from_conversation`) exists for inputs that are not in Parquet (probes, tests).
Both paths give identical views.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dfab.contracts.dataset import Conversation


@dataclass(frozen=True, slots=True)
class CallView:
    id: str
    name: str
    arguments: str  # JSON text of an object (the contract guarantees it decodes)


@dataclass(frozen=True, slots=True)
class MessageView:
    role: str
    content: str
    reasoning: str
    calls: tuple[CallView, ...]
    tool_call_id: str | None


@dataclass(frozen=True, slots=True)
class ToolView:
    name: str
    description: str
    parameters: Any  # decoded JSON Schema (whatever the line declared)
    parameters_key: str  # canonical JSON text: the cache key of compiled validators


@dataclass(frozen=True, slots=True)
class ConvView:
    id: str
    category: str | None
    languages: tuple[str, ...]
    summary: str | None
    tools: tuple[ToolView, ...]
    messages: tuple[MessageView, ...]
    verification: dict[str, Any] | None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class ViewBuilder:
    """Builds views; decoded tool schemas are shared between conversations that repeat them."""

    def __init__(self) -> None:
        self._schemas: dict[str, tuple[Any, str]] = {}

    def _schema(self, text: str) -> tuple[Any, str]:
        hit = self._schemas.get(text)
        if hit is None:
            decoded = json.loads(text)
            hit = (decoded, _canonical(decoded))
            if len(self._schemas) < 50_000:
                self._schemas[text] = hit
        return hit

    def from_row(self, row: dict[str, Any]) -> ConvView:
        """A row of the dataset Parquet file (docs/dataset-parquet.md layout)."""
        tools = []
        for spec in row["tools"] or ():
            fn = spec["function"]
            params, key = self._schema(fn["parameters"] or "{}")
            tools.append(ToolView(fn["name"], fn["description"] or "", params, key))
        messages = tuple(
            MessageView(
                m["role"],
                m["content"] or "",
                m["reasoning_content"] or "",
                tuple(
                    CallView(c["id"], c["function"]["name"], c["function"]["arguments"])
                    for c in m["tool_calls"] or ()
                ),
                m["tool_call_id"],
            )
            for m in row["messages"]
        )
        task = row.get("task")
        languages: tuple[str, ...] = ()
        category = summary = None
        if task:
            category, summary = task.get("category"), task.get("summary")
            raw = task.get("language_list") or ([task["language"]] if task.get("language") else [])
            languages = tuple(x.strip().lower() for x in raw if x and x.strip())
        ver = row.get("verification")
        return ConvView(
            id=row["id"],
            category=category,
            languages=languages,
            summary=summary,
            tools=tuple(tools),
            messages=messages,
            verification=json.loads(ver) if ver else None,
        )

    def from_conversation(self, conv: Conversation) -> ConvView:
        tools = []
        for spec in conv.tools:
            params = spec.function.parameters
            tools.append(
                ToolView(
                    spec.function.name, spec.function.description or "", params, _canonical(params)
                )
            )
        messages = tuple(
            MessageView(
                m.role,
                m.content or "",
                m.reasoning_content or "",
                tuple(
                    CallView(c.id, c.function.name, c.function.arguments)
                    for c in m.tool_calls or ()
                ),
                m.tool_call_id,
            )
            for m in conv.messages
        )
        task = conv.task
        return ConvView(
            id=conv.id,
            category=task.category if task else None,
            languages=tuple(task.languages) if task else (),
            summary=task.summary if task else None,
            tools=tuple(tools),
            messages=messages,
            verification=conv.verification.model_dump() if conv.verification else None,
        )
