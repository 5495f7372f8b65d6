"""Per-entry rules shared by the zip and tar walkers, and where entry data flows.

The walkers parse their format and call `EntryPolicy.admit` for every entry's metadata
and an `EntryMeter` for its data. The same code runs on inspection (data discarded)
and on extraction (data written), so extraction enforces every check a second time.
"""

from __future__ import annotations

import zlib
from typing import Protocol

from dfab.contracts.reasons import ReasonClass, VerdictError
from dfab.settings import ArchiveSettings

from .limits import Budget
from .models import ArchiveEntry
from .modes import normalized_mode
from .names import NameRegistry, normalize_name, show
from .nested import SNIFF_BYTES, check_nested_content, check_nested_name


class EntrySink(Protocol):
    """Receives admitted entries and their data, in archive order."""

    def begin(self, entry: ArchiveEntry) -> None: ...

    def write(self, data: bytes | memoryview) -> None: ...

    def end(self, entry: ArchiveEntry) -> None: ...


class NullSink:
    """Inspection: data is counted and checked, then dropped."""

    def begin(self, entry: ArchiveEntry) -> None:
        pass

    def write(self, data: bytes | memoryview) -> None:
        pass

    def end(self, entry: ArchiveEntry) -> None:
        pass


class EntryMeter:
    """Counts an entry's real bytes against its declared size and sniffs its content."""

    __slots__ = ("_head", "_sink", "_sniffed", "_track_crc", "count", "crc", "entry")

    def __init__(self, entry: ArchiveEntry, sink: EntrySink, *, track_crc: bool) -> None:
        self.entry = entry
        self._sink = sink
        self._track_crc = track_crc
        self._head = b""
        self._sniffed = entry.is_dir
        self.count = 0
        self.crc = 0
        sink.begin(entry)

    def feed(self, chunk: bytes | memoryview) -> None:
        size = len(chunk)
        if self.count + size > self.entry.size:
            raise VerdictError(
                ReasonClass.CORRUPT,
                f"entry {show(self.entry.name)} holds more data than the {self.entry.size} "
                "bytes its header declares; the archive is corrupt or forged",
            )
        self.count += size
        if self._track_crc:
            self.crc = zlib.crc32(chunk, self.crc)
        if not self._sniffed:
            self._head += bytes(chunk[: SNIFF_BYTES - len(self._head)])
            if len(self._head) >= SNIFF_BYTES:
                self._sniff()
        self._sink.write(chunk)

    def _sniff(self) -> None:
        self._sniffed = True
        check_nested_content(self.entry.name, self._head)

    def close(self) -> int:
        """Finish the entry; returns the CRC-32 of its data when tracked."""
        if self.count != self.entry.size:
            raise VerdictError(
                ReasonClass.CORRUPT,
                f"entry {show(self.entry.name)} has {self.count} bytes of data but its "
                f"header declares {self.entry.size}; the archive is truncated or corrupt",
            )
        if not self._sniffed:
            self._sniff()
        self._sink.end(self.entry)
        return self.crc


class EntryPolicy:
    """Names, types, modes, limits and collisions for one pass over one archive."""

    __slots__ = ("_root_seen", "_sink", "budget", "entries", "names")

    def __init__(self, settings: ArchiveSettings, archive_bytes: int, sink: EntrySink) -> None:
        self.budget = Budget(settings, archive_bytes)
        self.names = NameRegistry()
        self.entries: list[ArchiveEntry] = []
        self._sink = sink
        self._root_seen = False

    def admit(
        self,
        raw_name: bytes,
        *,
        is_dir: bool,
        permissions: int | None,
        size: int,
        compressed: int | None,
    ) -> ArchiveEntry | None:
        """Check one entry's metadata; None for the archive root (`./`), which is skipped.

        Link and special types are the walker's job (their encoding differs by format).
        """
        name = normalize_name(raw_name, is_dir=is_dir)
        if name is None:
            if not is_dir or size:
                raise VerdictError(
                    ReasonClass.BAD_NAME,
                    f"entry {show(raw_name)} names the archive root but is not a directory",
                )
            if self._root_seen:
                raise VerdictError(
                    ReasonClass.NAME_COLLISION,
                    f"entry {show(raw_name)}: the archive root appears twice",
                )
            self._root_seen = True
            return None
        mode = normalized_mode(name, permissions, is_dir=is_dir)
        self.names.add(name, is_dir=is_dir)
        self.budget.count_entry(name, self.names.directories)
        if not is_dir:
            check_nested_name(name)
        self.budget.declare(name, size, compressed)
        entry = ArchiveEntry(name=name, size=size, is_dir=is_dir, mode=mode)
        self.entries.append(entry)
        return entry

    def open(self, entry: ArchiveEntry, *, track_crc: bool = False) -> EntryMeter:
        return EntryMeter(entry, self._sink, track_crc=track_crc)

    @property
    def unpacked_bytes(self) -> int:
        return sum(e.size for e in self.entries)
