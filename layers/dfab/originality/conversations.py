"""Canonical text of a conversation: what stays when a copier re-ids, reformats, shuffles.

A conversation is reduced to its messages (role, content, reasoning, tool calls with
JSON arguments re-encoded with sorted keys); ids, tool-call ids, declared tools, task
hints and metadata are left out, text is NFKC-normalized, lower-cased and whitespace
collapsed. Its sha256 is the exact tier; 5-word shingles of the same text feed a
MinHash signature for near duplicates (lightly edited copies).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from dfab.originality.params import DATASET_NUM_PERM, SHINGLE_WORDS
from dfab.originality.sketch import minhash

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content parts
        return "".join(str(p.get("text", "")) for p in value if isinstance(p, Mapping))
    return str(value)


def _arguments(raw: Any) -> str:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return _norm(raw)
    return _norm(json.dumps(raw, sort_keys=True, ensure_ascii=False))


def _as_dict(conversation: Any) -> Mapping[str, Any]:
    if isinstance(conversation, BaseModel):
        return conversation.model_dump(mode="json")
    if isinstance(conversation, Mapping):
        return conversation
    raise TypeError(f"expected a conversation mapping or model, got {type(conversation).__name__}")


def canonical_messages(conversation: Any) -> list[list[str]]:
    """[[role, text, reasoning, calls...], ...] with every volatile detail removed."""
    out: list[list[str]] = []
    for msg in _as_dict(conversation).get("messages") or []:
        if not isinstance(msg, Mapping):
            continue
        reasoning = msg.get("reasoning_content") or msg.get("reasoning") or msg.get("thinking")
        row = [str(msg.get("role", "")), _norm(_text(msg.get("content"))), _norm(_text(reasoning))]
        for call in msg.get("tool_calls") or []:
            fn = call.get("function", {}) if isinstance(call, Mapping) else {}
            row.append(f"{fn.get('name', '')}({_arguments(fn.get('arguments'))})")
        out.append(row)
    return out


@dataclass(frozen=True)
class ConversationSketch:
    """One conversation's exact hash and MinHash signature, with its line index."""

    index: int
    digest: str
    signature: np.ndarray


def shingles(messages: list[list[str]]) -> list[int]:
    words = _WORD.findall(" ".join(" ".join(row) for row in messages))
    if not words:
        return []
    if len(words) < SHINGLE_WORDS:
        grams = [" ".join(words)]
    else:
        grams = [
            " ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)
        ]
    return [
        int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big")
        for g in set(grams)
    ]


def sketch(index: int, conversation: Any) -> ConversationSketch:
    messages = canonical_messages(conversation)
    blob = json.dumps(messages, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    digest = hashlib.sha256(blob).hexdigest()
    signature = minhash(shingles(messages), DATASET_NUM_PERM).hashvalues.astype("<u4")
    return ConversationSketch(index, digest, signature)
