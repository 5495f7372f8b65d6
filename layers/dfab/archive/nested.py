"""Recognizing archives and compressed streams, by file name and by content.

Used twice: to refuse archives inside the harness (each nesting level multiplies what
a small upload can expand to, as in 42.zip), and to identify the uploaded file itself.
"""

from __future__ import annotations

from dfab.contracts.reasons import ReasonClass, VerdictError

from .names import show

ARCHIVE_SUFFIXES = frozenset(
    {
        ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".whl", ".jar",
        ".zst", ".zstd", ".lz4", ".lzma", ".tbz", ".tbz2", ".txz", ".tzst", ".egg",
        ".war", ".ear", ".apk", ".cab", ".cpio", ".ar", ".deb", ".rpm",
    }
)  # fmt: skip

#: Bytes of content needed to recognize every format below (tar's magic is at 257).
SNIFF_BYTES = 262

_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"PK\x07\x08", "zip"),
    (b"\x1f\x8b\x08", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x04\x22\x4d\x18", "lz4"),
    (b"MSCF\x00\x00\x00\x00", "cab"),
    (b"!<arch>\n", "ar"),
)
_FIRST_BYTES = frozenset(bytes([m[0]]) for m, _ in _PREFIXES) | {b"B"}
_BZIP2_BLOCKS = (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90")


def sniff_archive(head: bytes) -> str | None:
    """The archive or compression format `head` starts with, or None."""
    if head[:1] not in _FIRST_BYTES and head[257:262] != b"ustar":
        return None
    for magic, kind in _PREFIXES:
        if head.startswith(magic):
            return kind
    if (
        len(head) >= 10
        and head[:3] == b"BZh"
        and 0x31 <= head[3] <= 0x39
        and head[4:10] in _BZIP2_BLOCKS
    ):
        return "bzip2"
    if head[257:262] == b"ustar":
        return "tar"
    return None


def archive_suffix(name: str) -> str | None:
    """The archive-like extension of a file name (case-insensitive), or None."""
    dot = name.rfind(".")
    if dot <= name.rfind("/"):
        return None
    suffix = name[dot:].lower()
    return suffix if suffix in ARCHIVE_SUFFIXES else None


def check_nested_name(name: str) -> None:
    suffix = archive_suffix(name)
    if suffix is not None:
        raise VerdictError(
            ReasonClass.NESTED_ARCHIVE,
            f"entry {show(name)} has the archive extension '{suffix}'; archives inside the "
            "harness are not allowed: add the files themselves instead",
        )


def check_nested_content(name: str, head: bytes) -> None:
    kind = sniff_archive(head)
    if kind is not None:
        raise VerdictError(
            ReasonClass.NESTED_ARCHIVE,
            f"entry {show(name)} contains {kind} data (recognized by its content, whatever "
            "its name); archives inside the harness are not allowed: add the files "
            "themselves instead",
        )
