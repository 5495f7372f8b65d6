"""Opaque page cursors: the index key a page ended at, plus how many entries came before.

A cursor continues after a key, not at an offset, so entries added or raised meanwhile
never make a page repeat or skip one that did not change. It is base64url JSON and not
signed: it only selects where to start reading public data, and `decode` accepts
exactly the key attributes of the index it belongs to, as short strings.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

_VERSION = 1
MAX_CURSOR_CHARS = 2048
_MAX_VALUE_CHARS = 512


class CursorInvalid(ValueError):
    """The cursor was not made by this API for this listing."""


def encode_cursor(key: Mapping[str, Any], offset: int) -> str:
    """A cursor for a DynamoDB key (`{"attr": {"S": value}}`) after `offset` entries."""
    plain = {name: value["S"] for name, value in sorted(key.items())}
    doc = {"v": _VERSION, "k": plain, "n": offset}
    raw = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(
    cursor: str, *, fields: frozenset[str], fixed: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], int]:
    """The DynamoDB ExclusiveStartKey and the entry offset a cursor holds.

    `fields` are the key attributes the listing's index uses (all strings); `fixed`
    values must match (the index partition, the miner of the page).
    """
    if len(cursor) > MAX_CURSOR_CHARS:
        raise CursorInvalid("the cursor is too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        doc = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise CursorInvalid("the cursor is not one this API returned") from None
    if not isinstance(doc, dict) or doc.get("v") != _VERSION:
        raise CursorInvalid("the cursor is not one this API returned")
    key, offset = doc.get("k"), doc.get("n")
    if not isinstance(key, dict) or set(key) != fields:
        raise CursorInvalid("the cursor belongs to another listing")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise CursorInvalid("the cursor is not one this API returned")
    for value in key.values():
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_VALUE_CHARS:
            raise CursorInvalid("the cursor is not one this API returned")
    for name, value in (fixed or {}).items():
        if key.get(name) != value:
            raise CursorInvalid("the cursor belongs to another listing")
    return {name: {"S": value} for name, value in key.items()}, offset
