"""Registered hotkeys, supplied by the validator as a file or an S3 object.

No chain access: the validator exports the metagraph's hotkeys however it likes and
points `intake.allowlist` at the result. The list is re-read every
`allowlist_refresh_s`; when a re-read fails the last good copy stays in use, and when
the very first read fails the request fails (closed, never open).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dfab.intake import ss58

_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)/(?P<key>.+)$")


class AllowlistUnavailable(RuntimeError):
    """The allowlist could not be read (and no earlier copy exists)."""


@dataclass(frozen=True)
class ParsedAllowlist:
    hotkeys: frozenset[str]
    #: (line number, token) of entries that are not valid addresses; they admit nobody.
    invalid: tuple[tuple[int, str], ...]


def parse_allowlist(text: str, ss58_format: int) -> ParsedAllowlist:
    """SS58 addresses separated by whitespace or commas; `#` starts a comment."""
    found: set[str] = set()
    invalid: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for token in re.split(r"[\s,]+", line.split("#", 1)[0]):
            if not token:
                continue
            try:
                ss58.decode(token, ss58_format)
            except ss58.InvalidAddress:
                invalid.append((number, token[:60]))
                continue
            found.add(token)
    return ParsedAllowlist(frozenset(found), tuple(invalid))


def read_source(source: str, s3_client: Callable[[], Any]) -> str:
    """The text behind `source`: a local path or `s3://bucket/key`."""
    match = _S3_URI.match(source)
    try:
        if match:
            obj = s3_client().get_object(Bucket=match["bucket"], Key=match["key"])
            return obj["Body"].read().decode("utf-8")
        return Path(source).read_text(encoding="utf-8")
    except Exception as exc:  # any failure to read is the same verdict: unavailable
        raise AllowlistUnavailable(f"cannot read the hotkey allowlist {source}: {exc}") from exc


class Allowlist:
    """A cached, periodically refreshed set of registered hotkeys."""

    def __init__(
        self,
        source: str,
        *,
        ss58_format: int,
        refresh_s: int,
        s3_client: Callable[[], Any],
        on_invalid: Callable[[ParsedAllowlist], None] | None = None,
    ) -> None:
        self.source = source
        self._format = ss58_format
        self._refresh_s = refresh_s
        self._s3_client = s3_client
        self._on_invalid = on_invalid
        self._lock = threading.Lock()
        self._hotkeys: frozenset[str] | None = None
        self._loaded_at = 0.0

    def contains(self, hotkey: str, now: float) -> bool:
        return hotkey in self._current(now)

    def _current(self, now: float) -> frozenset[str]:
        with self._lock:
            if self._hotkeys is None or now - self._loaded_at >= self._refresh_s:
                try:
                    parsed = parse_allowlist(
                        read_source(self.source, self._s3_client), self._format
                    )
                except AllowlistUnavailable:
                    if self._hotkeys is None:
                        raise
                    self._loaded_at = now  # keep the last good copy; retry later
                else:
                    if parsed.invalid and self._on_invalid:
                        self._on_invalid(parsed)
                    self._hotkeys, self._loaded_at = parsed.hotkeys, now
            assert self._hotkeys is not None
            return self._hotkeys
