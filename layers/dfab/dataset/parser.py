"""Streaming JSONL parser: one verdict per line, bounded memory, never an exception.

A line is the bytes up to and including a `\\n`. The `\\n` that ends the file ends
the last line; it does not open an empty one (so `a\\nb\\n` is two lines). Bytes after
the last `\\n` form a final line. A `\\r` before the `\\n` is JSON whitespace, so CRLF files
parse; it counts toward the line's size. Every line gets a verdict, blank ones too
(`line.blank`: they count as invalid lines, since a dataset line must be a conversation).

Line-level rules, checked in this order (the first one broken decides the verdict):

- `line.too_large`: over `max_line_bytes` (without its `\\n`). The parser reads at most
  `max_line_bytes + 1` bytes of such a line and skips the rest in small chunks.
- `line.blank`: only spaces, tabs and `\\r`.
- `line.not_utf8`: not valid UTF-8 (the message gives the byte offset).
- `line.not_json`: not one JSON value (message gives the character position). NaN and
  Infinity, numbers outside the double range and integers over Python's digit limit
  are refused here: other JSON readers would reject or silently change them.
- `line.too_deep`: nests deeper than the JSON decoder can follow (free-form parts that
  decode but nest over `MAX_JSON_DEPTH` get `json.too_deep` from the judge, so validity
  never depends on the interpreter's recursion limit).
- `line.lone_surrogate`: a string holds an escaped lone surrogate (`"\\ud800"`), which
  is not a character and cannot be stored as UTF-8 (Parquet, `datasets`).
- then `parse_conversation` (the single judge of a decoded line: `line.not_object`,
  `schema.*`, the cross-field rules of CONTRACTS.md §3);
- `id.duplicate`: the id was already used by an earlier *valid* line (the later line is
  invalid; the message names the first). Ids of invalid lines are not reserved, so the
  valid conversations that get scored have unique ids.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from dfab.contracts.dataset import Conversation, DatasetLimits, Violation, parse_conversation

LINE = "(line)"
#: Bytes read per step while skipping the rest of an oversized line.
SKIP_CHUNK = 64 * 1024
#: Longest id a verdict repeats (an invalid line's id may be huge).
MAX_REPORTED_ID_CHARS = 200
_JSON_WS = b" \t\r\n"
DEFAULT_LIMITS = DatasetLimits()
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LOW_SURROGATE_ESCAPE = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


@dataclass(frozen=True, slots=True)
class LineVerdict:
    """The judgement of one line: valid with its conversation, or the rules it broke."""

    line_number: int  # 1-based
    offset: int  # byte offset of the line's first byte in the stream
    size: int  # bytes, without the terminating newline
    conversation: Conversation | None
    violations: tuple[Violation, ...] = ()
    id: str | None = None  # the line's id when it has a string one (truncated)

    @property
    def valid(self) -> bool:
        return self.conversation is not None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is outside the 64-bit float range")
    return value


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def _line_violation(rule: str, message: str) -> tuple[Violation, ...]:
    return (Violation(rule, LINE, message),)


def has_lone_surrogate_escape(text: str) -> bool:
    """Whether JSON text escapes a lone surrogate; exact, and fast on surrogate pairs.

    A `\\uD8xx`-`\\uDFxx` is an escape only after an even run of backslashes; a high
    half followed at once by a low half is a pair (one character); anything else is lone.
    """
    paired_until = 0
    for match in _SURROGATE_ESCAPE.finditer(text):
        start = match.start()
        if start < paired_until:
            continue  # the low half of the pair just accepted
        run = start
        while run and text[run - 1] == "\\":
            run -= 1
        if (start - run) % 2:
            continue  # an escaped backslash followed by the letters "ud8..": plain text
        if text[start + 3] in "89abAB" and _LOW_SURROGATE_ESCAPE.match(text, match.end()):
            paired_until = match.end() + 6
            continue
        return True
    return False


def _surrogate_path(obj: Any) -> str | None:
    """Where the first string (or key) with a lone surrogate is, or None; iterative."""
    stack: list[tuple[Any, str]] = [(obj, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return path or LINE
        elif isinstance(value, dict):
            items = list(value.items())
            for key, child in reversed(items):
                if _SURROGATE.search(key):
                    return f"{path}.<key>" if path else "<key>"
                stack.append((child, f"{path}.{key}" if path else key))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{i}]") for i, child in reversed(list(enumerate(value))))
    return None


def _reported_id(obj: Any) -> str | None:
    value = obj.get("id") if isinstance(obj, dict) else None
    if not isinstance(value, str):
        return None
    return value if len(value) <= MAX_REPORTED_ID_CHARS else value[:MAX_REPORTED_ID_CHARS] + "…"


class _Refused(Exception):
    """A line-level rule broken before the line could be judged as a conversation."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.violation = Violation(rule, LINE, message)


def _decode(raw: bytes) -> tuple[str, Any]:
    """`(text, value)` of one line, or `_Refused` with the line-level rule it breaks."""
    if not raw or (raw[0] in _JSON_WS and not raw.strip(_JSON_WS)):
        raise _Refused("line.blank", "blank line")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"invalid UTF-8 at byte {exc.start} of the line ({exc.reason})"
        raise _Refused("line.not_utf8", msg) from None
    try:
        return text, _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        if text.startswith("\ufeff"):
            msg = "not JSON: starts with a byte order mark (BOM); write UTF-8 without one"
        else:
            msg = f"not JSON: {exc.msg} at character {exc.pos}"
        raise _Refused("line.not_json", msg) from None
    except RecursionError:
        raise _Refused("line.too_deep", "JSON nesting is too deep") from None
    except ValueError as exc:  # NaN/Infinity, float overflow, integer digit limit
        raise _Refused("line.not_json", f"not JSON: {exc}") from None


def judge_line(
    raw: bytes, limits: DatasetLimits
) -> tuple[Any, Conversation | None, tuple[Violation, ...]]:
    """Judge one complete, size-checked line: `(decoded, conversation, violations)`.

    `raw` may end with `\\n`. `decoded` is the JSON value (None when it did not decode).
    """
    try:
        text, obj = _decode(raw)
    except _Refused as refused:
        return None, None, (refused.violation,)
    # A lone surrogate can only come from a \\uD800-\\uDFFF escape: look closer only then.
    if ("\\ud" in text or "\\uD" in text) and has_lone_surrogate_escape(text):
        where = _surrogate_path(obj) or LINE
        message = "a string holds an escaped lone surrogate, which is not a character"
        return obj, None, (Violation("line.lone_surrogate", where, message),)
    try:
        conv, violations = parse_conversation(obj, limits)
    except RecursionError:
        return obj, None, _line_violation("line.too_deep", "JSON nesting is too deep")
    return obj, conv, tuple(violations)


def _skip_rest_of_line(stream: BinaryIO) -> tuple[int, bool]:
    """Discard up to the next newline in small chunks: `(bytes skipped, newline seen)`."""
    skipped = 0
    while True:
        chunk = stream.readline(SKIP_CHUNK)
        if not chunk:
            return skipped, False
        skipped += len(chunk)
        if chunk[-1:] == b"\n":
            return skipped, True


def iter_verdicts(
    stream: BinaryIO, limits: DatasetLimits = DEFAULT_LIMITS
) -> Iterator[LineVerdict]:
    """Yield one verdict per line of a binary (buffered) stream, in order."""
    seen: dict[str, int] = {}  # id -> line number of the first valid line using it
    cap = limits.max_line_bytes + 1
    readline = stream.readline
    number = 0
    offset = 0
    while True:
        raw = readline(cap)
        if not raw:
            return
        number += 1
        start = offset
        ended = raw[-1:] == b"\n"
        if len(raw) == cap and not ended:
            del raw  # keep at most one capped line in memory while skipping
            skipped, ended = _skip_rest_of_line(stream)
            total = cap + skipped
            offset += total
            size = total - 1 if ended else total
            yield LineVerdict(
                number,
                start,
                size,
                None,
                _line_violation(
                    "line.too_large",
                    f"line is {size} bytes; the limit is {limits.max_line_bytes}",
                ),
            )
            continue
        offset += len(raw)
        size = len(raw) - 1 if ended else len(raw)
        obj, conv, violations = judge_line(raw, limits)
        line_id = _reported_id(obj)
        if line_id is not None and obj["id"] in seen:
            first = seen[obj["id"]]
            dup = Violation("id.duplicate", "id", f"id already used on line {first}")
            conv, violations = None, (*violations, dup)
        elif conv is not None:
            seen[conv.id] = number
        yield LineVerdict(number, start, size, conv, violations, line_id)
