"""`inspect_archive`: accept or reject an archive before anything is extracted."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dfab.settings import ArchiveSettings

from .models import ArchiveFormat, ArchiveListing
from .policy import EntryPolicy, EntrySink, NullSink
from .source import detect_format, read_archive, too_large_error
from .tarcheck import walk_tar_gz
from .zipcheck import walk_zip


def walk_archive(
    fmt: ArchiveFormat, data: bytes, settings: ArchiveSettings, sink: EntrySink
) -> EntryPolicy:
    """One full checked pass over the archive, handing entries and data to `sink`."""
    policy = EntryPolicy(settings, len(data), sink)
    if fmt == "zip":
        walk_zip(data, policy)
    else:
        walk_tar_gz(data, policy)
    return policy


def inspect_bytes(
    data: bytes, settings: ArchiveSettings, *, declared_format: ArchiveFormat | None = None
) -> ArchiveListing:
    if len(data) > settings.max_archive_bytes:
        raise too_large_error(len(data), settings.max_archive_bytes)
    fmt = detect_format(data, declared_format)
    policy = walk_archive(fmt, data, settings, NullSink())
    return ArchiveListing(
        format=fmt,
        entries=tuple(policy.entries),
        unpacked_bytes=policy.unpacked_bytes,
        sha256=hashlib.sha256(data).hexdigest(),
        archive_bytes=len(data),
    )


def inspect_archive(
    path: Path, settings: ArchiveSettings, *, declared_format: ArchiveFormat | None = None
) -> ArchiveListing:
    """Decide accept/reject from structure, metadata and a bounded streaming read.

    Raises `VerdictError` naming the reason class, the entry and the fix. Nothing is
    written anywhere; memory is bounded by `max_archive_bytes` plus small buffers.
    `declared_format` is what the upload's name claims; None detects from content.
    """
    return inspect_bytes(read_archive(path, settings), settings, declared_format=declared_format)
