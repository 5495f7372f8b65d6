"""`fingerprint_harness`: the winnowed fingerprints of a harness's canonical form.

A fingerprint is a 64-bit hash of a k-gram of canonical tokens, kept with where it came
from (file and line range) so a match can be shown as regions of both harnesses. The
compact binary form is what the similarity index stores per submission.
"""

from __future__ import annotations

import json
import struct
import sys
import zlib
from array import array
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from dfab.originality.canonical import CanonicalHarness, Unit, canonicalize
from dfab.originality.params import FORMAT_VERSION, KGRAM, MIN_UNIT_TOKENS, WINDOW
from dfab.originality.winnow import kgram_hashes, token_hash, whole_hash, winnow

_HEADER = struct.Struct("<I")


@dataclass(frozen=True)
class Occurrence:
    """Where one fingerprint occurs: file index and inclusive line range."""

    hash: int
    file: int
    start: int
    end: int


@dataclass(frozen=True)
class HarnessFingerprint:
    """Fingerprints of one harness, in canonical order, with their source positions."""

    files: tuple[str, ...]
    hashes: tuple[int, ...]
    file_index: tuple[int, ...]
    line_start: tuple[int, ...]
    line_end: tuple[int, ...]
    exact_hash: str
    token_count: int
    units: int
    total_units: int
    entry_found: bool
    version: int = FORMAT_VERSION

    @cached_property
    def distinct(self) -> frozenset[int]:
        return frozenset(self.hashes)

    def occurrences(self, wanted: frozenset[int] | set[int] | None = None) -> list[Occurrence]:
        return [
            Occurrence(h, f, s, e)
            for h, f, s, e in zip(
                self.hashes, self.file_index, self.line_start, self.line_end, strict=True
            )
            if wanted is None or h in wanted
        ]

    def summary(self) -> dict[str, object]:
        return {
            "files": len(self.files),
            "fingerprints": len(self.distinct),
            "tokens": self.token_count,
            "units_reachable": self.units,
            "units_total": self.total_units,
            "entrypoint_found": self.entry_found,
            "exact_hash": self.exact_hash,
        }

    # ------------------------------------------------------------------ storage

    def to_bytes(self) -> bytes:
        header = json.dumps(
            {
                "v": self.version,
                "files": list(self.files),
                "exact": self.exact_hash,
                "tokens": self.token_count,
                "units": self.units,
                "total_units": self.total_units,
                "entry": self.entry_found,
                "n": len(self.hashes),
            },
            separators=(",", ":"),
        ).encode("utf-8")
        arrays = [
            array("Q", self.hashes),
            array("I", self.file_index),
            array("I", self.line_start),
            array("I", self.line_end),
        ]
        body = b"".join(_little(a).tobytes() for a in arrays)
        return zlib.compress(_HEADER.pack(len(header)) + header + body, 6)

    @classmethod
    def from_bytes(cls, blob: bytes) -> HarnessFingerprint:
        raw = zlib.decompress(blob)
        (size,) = _HEADER.unpack_from(raw)
        header = json.loads(raw[_HEADER.size : _HEADER.size + size])
        n = int(header["n"])
        offset = _HEADER.size + size
        parts: list[tuple[int, ...]] = []
        for code in ("Q", "I", "I", "I"):
            arr = array(code)
            width = arr.itemsize * n
            arr.frombytes(raw[offset : offset + width])
            offset += width
            parts.append(tuple(_little(arr)))
        return cls(
            files=tuple(header["files"]),
            hashes=parts[0],
            file_index=parts[1],
            line_start=parts[2],
            line_end=parts[3],
            exact_hash=str(header["exact"]),
            token_count=int(header["tokens"]),
            units=int(header["units"]),
            total_units=int(header["total_units"]),
            entry_found=bool(header["entry"]),
            version=int(header["v"]),
        )


def _little(arr: array) -> array:  # type: ignore[type-arg]
    """Arrays are stored little-endian whatever the machine."""
    if sys.byteorder == "big":
        arr = array(arr.typecode, arr)
        arr.byteswap()
    return arr


def _unit_occurrences(unit: Unit, cache: dict[str, int]) -> list[Occurrence]:
    values = [cache.get(t) or cache.setdefault(t, token_hash(t)) for t in unit.tokens]
    if len(values) < KGRAM:
        if len(values) < MIN_UNIT_TOKENS:
            return []
        lines = unit.lines
        return [Occurrence(whole_hash(values), unit.file, min(lines), max(lines))]
    out: list[Occurrence] = []
    for h, pos in winnow(kgram_hashes(values, KGRAM), WINDOW):
        span = unit.lines[pos : pos + KGRAM]
        out.append(Occurrence(h, unit.file, min(span), max(span)))
    return out


def fingerprint_canonical(canon: CanonicalHarness) -> HarnessFingerprint:
    cache: dict[str, int] = {}
    occ: list[Occurrence] = []
    for unit in canon.units:
        occ.extend(_unit_occurrences(unit, cache))
    return HarnessFingerprint(
        files=canon.files,
        hashes=tuple(o.hash for o in occ),
        file_index=tuple(o.file for o in occ),
        line_start=tuple(o.start for o in occ),
        line_end=tuple(o.end for o in occ),
        exact_hash=canon.exact_hash(),
        token_count=canon.token_count,
        units=len(canon.units),
        total_units=canon.total_units,
        entry_found=canon.entry_found,
    )


def fingerprint_harness(
    root: Path, *, max_depth: int = 100, max_bytes: int = 4 << 20
) -> HarnessFingerprint:
    """Fingerprints of the harness unpacked at `root`; never runs its code."""
    return fingerprint_canonical(canonicalize(root, max_depth=max_depth, max_bytes=max_bytes))
