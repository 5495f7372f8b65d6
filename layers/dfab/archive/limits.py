"""Size and count limits, and telling an honest-but-big archive from a bomb.

A size over a limit is `TOO_LARGE` when the bytes that back it could plausibly hold it
(within the allowed compression ratio), and a bomb class when they could not: a claim
of gigabytes from a few kilobytes of compressed data is an attack, not a big harness.
"""

from __future__ import annotations

from dfab.contracts.reasons import ReasonClass, VerdictError
from dfab.settings import ArchiveSettings

from .names import show


class Budget:
    """Running totals for one pass over one archive; every check raises `VerdictError`."""

    __slots__ = ("archive_bytes", "declared_total", "entries", "settings", "stream_data")

    def __init__(self, settings: ArchiveSettings, archive_bytes: int) -> None:
        self.settings = settings
        self.archive_bytes = archive_bytes
        self.entries = 0
        self.declared_total = 0
        self.stream_data = 0

    def _plausible(self, size: int, backing: int) -> bool:
        return size <= max(backing, 1) * self.settings.max_compression_ratio

    def check_entry_count(self, count: int, where: str) -> None:
        if count > self.settings.max_entries:
            raise VerdictError(
                ReasonClass.TOO_MANY_ENTRIES,
                f"{where} {count} entries; the limit is {self.settings.max_entries} files "
                "and directories: remove generated files, caches and data you do not need",
            )

    def count_entry(self, name: str, directories: int) -> None:
        """One more file or directory entry; `directories` counts implied ones too."""
        self.entries += 1
        if self.entries > self.settings.max_entries:
            self.check_entry_count(self.entries, f"at entry {show(name)} the archive has")
        if directories > self.settings.max_entries:
            raise VerdictError(
                ReasonClass.TOO_MANY_ENTRIES,
                f"at entry {show(name)} extraction would create {directories} directories; "
                f"the limit is {self.settings.max_entries}: flatten the layout",
            )

    def declare(self, name: str, size: int, compressed: int | None) -> None:
        """An entry's declared unpacked size, before any of its data is read.

        `compressed` is the entry's own compressed size where the format has one (zip);
        otherwise the whole archive is what backs the claim.
        """
        limit = self.settings.max_entry_bytes
        backing = self.archive_bytes if compressed is None else compressed
        if size > limit:
            if self._plausible(size, backing):
                raise VerdictError(
                    ReasonClass.TOO_LARGE,
                    f"entry {show(name)} is {size} bytes unpacked; the limit per entry is "
                    f"{limit} bytes: shrink or split it",
                )
            raise VerdictError(
                ReasonClass.BOMB_DECLARED_SIZE,
                f"entry {show(name)} declares {size} bytes unpacked from {backing} "
                f"compressed bytes; the limit per entry is {limit} bytes (a zip-bomb "
                "header): re-create the archive from real files",
            )
        if compressed is not None and size > max(compressed, 1) * (
            self.settings.max_compression_ratio
        ):
            raise VerdictError(
                ReasonClass.BOMB_RATIO,
                f"entry {show(name)} expands {size} bytes from {compressed} compressed "
                f"bytes, a ratio over {self.settings.max_compression_ratio:g}; store less "
                "repetitive data (or generate it at run time)",
            )
        self.declared_total += size
        total, cap = self.declared_total, self.settings.max_unpacked_bytes
        if total > cap:
            if self._plausible(total, self.archive_bytes):
                raise VerdictError(
                    ReasonClass.TOO_LARGE,
                    f"with entry {show(name)} the archive unpacks to {total} bytes; the "
                    f"limit is {cap} bytes: remove data you do not need",
                )
            raise VerdictError(
                ReasonClass.BOMB_DECLARED_SIZE,
                f"with entry {show(name)} the archive declares {total} unpacked bytes from "
                f"a {self.archive_bytes}-byte archive; the limit is {cap} bytes (a bomb)",
            )

    def stream_bytes(self, name: str, count: int) -> None:
        """Data bytes really read from a whole-stream compressor (tar.gz), as they arrive.

        gzip compresses the tar stream as a whole, so the ratio is checked on the
        entries' data against the whole archive, progressively, to stop early.
        """
        self.stream_data += count
        if not self._plausible(self.stream_data, self.archive_bytes):
            raise VerdictError(
                ReasonClass.BOMB_RATIO,
                f"by entry {show(name)} the archive has expanded to {self.stream_data} "
                f"bytes of file data from {self.archive_bytes} bytes, a ratio over "
                f"{self.settings.max_compression_ratio:g}; store less repetitive data",
            )

    def stream_overflow(self, produced: int, consumed: int, cap: int) -> VerdictError:
        """The decompressed stream as a whole passed its hard cap after `consumed` bytes."""
        if self._plausible(produced, consumed):
            return VerdictError(
                ReasonClass.TOO_LARGE,
                f"the compressed stream inflates past {cap} bytes (unpacked limit plus tar "
                "headers); remove data you do not need",
            )
        return VerdictError(
            ReasonClass.BOMB_RATIO,
            f"the compressed stream inflates to {produced} bytes from its first {consumed} "
            f"bytes, a ratio over {self.settings.max_compression_ratio:g} (a bomb)",
        )
