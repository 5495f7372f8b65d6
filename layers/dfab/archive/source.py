"""Reading the uploaded file (bounded) and deciding which format it really is."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dfab.contracts.reasons import ReasonClass, VerdictError
from dfab.settings import ArchiveSettings

from .models import FORMATS, ArchiveFormat
from .nested import sniff_archive
from .zipcheck import END_SIG

_READ_CHUNK = 1024 * 1024


def read_archive(path: Path, settings: ArchiveSettings) -> bytes:
    """The archive's bytes, refusing (before reading) anything over `max_archive_bytes`.

    One immutable snapshot is then both inspected and extracted, so the file cannot
    change between the check and the use.
    """
    limit = settings.max_archive_bytes
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)  # a FIFO must not block
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path} is not a regular file")
        if info.st_size > limit:
            raise too_large_error(info.st_size, limit)
        parts: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = os.read(fd, min(_READ_CHUNK, limit + 1 - got))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        if got > limit:
            raise too_large_error(got, limit)
        return b"".join(parts)
    finally:
        os.close(fd)


def too_large_error(size: int, limit: int) -> VerdictError:
    return VerdictError(
        ReasonClass.TOO_LARGE,
        f"the archive is {size} bytes; the limit is {limit} bytes: remove data, caches "
        "and build output from the harness",
    )


def detect_format(data: bytes, declared: ArchiveFormat | None) -> ArchiveFormat:
    """The format to parse `data` as; content that contradicts `declared` is refused."""
    if declared is not None and declared not in FORMATS:
        raise ValueError(f"declared_format must be one of {FORMATS}, not {declared!r}")
    if not data:
        raise VerdictError(ReasonClass.CORRUPT, "the archive is empty (0 bytes)")
    kind = sniff_archive(data[:512])
    found: ArchiveFormat | None
    if kind == "zip":
        found = "zip"
    elif kind == "gzip":
        found = "tar.gz"
    elif kind is None and END_SIG in data[-(0xFFFF + 22) :]:
        found = "zip"  # a zip with something prepended: the zip parser says what
    else:
        found = None
    if found is None:
        what = "a plain (uncompressed) tar" if kind == "tar" else (kind or "not an archive")
        raise VerdictError(
            ReasonClass.FORMAT_MISMATCH,
            f"the upload is {what}; only .zip and .tar.gz (gzip-compressed tar) are accepted",
        )
    if declared is not None and found != declared:
        raise VerdictError(
            ReasonClass.FORMAT_MISMATCH,
            f"the upload is named .{declared} but its content is {found} "
            f"({kind or 'zip with leading data'}); upload it with the matching extension",
        )
    return found
