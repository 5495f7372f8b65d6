"""Classifying string literals: opaque blobs (base64, hex) and high-entropy text.

Generated code and prose templates are the normal content of a harness and must not
look suspicious: they contain spaces and newlines, so only whitespace-free runs are
candidates for "blob" or "high entropy".
"""

from __future__ import annotations

import math
import re
from collections import Counter

_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")
_HEX = re.compile(r"^(?:0x)?[0-9a-fA-F]+$")
_HEX_ESCAPES = re.compile(r"^(?:\\x[0-9a-fA-F]{2})+$")


def literal_text(value: str | bytes) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def _compact(text: str) -> str:
    """The literal without line breaks (encoders wrap base64 at 76 columns)."""
    return text.replace("\n", "").replace("\r", "").strip()


def blob_kind(value: str | bytes, min_chars: int) -> str | None:
    """'base64' or 'hex' when `value` is a long run of encoding alphabet, else None."""
    text = _compact(literal_text(value))
    if len(text) < min_chars or any(c.isspace() for c in text):
        return None
    if _HEX.match(text) or _HEX_ESCAPES.match(text):
        return "hex"
    if _BASE64.match(text):
        # Long identifiers-only strings (e.g. "aaaa...") are not data; demand a mix.
        kinds = sum(bool(re.search(p, text)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
        return "base64" if kinds >= 2 else None
    return None


def shannon_bits(text: str) -> float:
    """Empirical entropy in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def is_high_entropy(value: str | bytes, min_chars: int, bits: float) -> bool:
    """Long, almost whitespace-free and close to random: packed or encrypted data."""
    text = literal_text(value)
    if len(text) < min_chars:
        return False
    spaces = sum(c.isspace() for c in text)
    if spaces > len(text) * 0.02:
        return False
    return shannon_bits(text) >= bits
