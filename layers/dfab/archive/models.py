"""What inspection found: the entries exactly as extraction will write them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ArchiveFormat = Literal["zip", "tar.gz"]
FORMATS: tuple[ArchiveFormat, ...] = ("zip", "tar.gz")


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One regular file or directory.

    `name` is the normalized relative POSIX path (no `./` prefix, no trailing `/`);
    `mode` is the mode extraction applies (0o644 or 0o755), never the archive's own bits.
    """

    name: str
    size: int
    is_dir: bool
    mode: int


@dataclass(frozen=True, slots=True)
class ArchiveListing:
    """An accepted archive: its format, entries in archive order, and fingerprints.

    Extraction re-reads the archive and refuses anything that differs from this listing.
    """

    format: ArchiveFormat
    entries: tuple[ArchiveEntry, ...]
    unpacked_bytes: int
    sha256: str
    archive_bytes: int

    @property
    def files(self) -> tuple[ArchiveEntry, ...]:
        return tuple(e for e in self.entries if not e.is_dir)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for reports and the CLI."""
        return {
            "format": self.format,
            "sha256": self.sha256,
            "archive_bytes": self.archive_bytes,
            "unpacked_bytes": self.unpacked_bytes,
            "entries": [
                {"name": e.name, "size": e.size, "is_dir": e.is_dir, "mode": oct(e.mode)}
                for e in self.entries
            ],
        }
