"""Zip structure, parsed here rather than trusted to the running Python's zipfile.

Layout accepted: local header + data (+ data descriptor) for every entry, back to back
from byte 0, then the central directory, then (ZIP64 end record and locator, then) the
end record and its comment, ending the file. Every byte is accounted for once, which is
what rules out overlapping entries (the "better zip bomb"), hidden prepended or trailing
data, and central directories that disagree with local headers.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from dfab.contracts.reasons import ReasonClass, VerdictError

from .models import ArchiveEntry
from .modes import unix_kind
from .names import show
from .policy import EntryPolicy

LOCAL_SIG = b"PK\x03\x04"
CENTRAL_SIG = b"PK\x01\x02"
END_SIG = b"PK\x05\x06"
Z64_LOCATOR_SIG = b"PK\x06\x07"
Z64_END_SIG = b"PK\x06\x06"
DESCRIPTOR_SIG = b"PK\x07\x08"

STORED = 0
DEFLATED = 8
AES = 99

_END = struct.Struct("<4s4H2LH")
_Z64_LOCATOR = struct.Struct("<4sLQL")
_Z64_END = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")
_U32 = struct.Struct("<L")
_U64 = struct.Struct("<Q")
_DESCRIPTORS = (
    (True, struct.Struct("<4s3L")),
    (True, struct.Struct("<4sL2Q")),
    (False, struct.Struct("<3L")),
    (False, struct.Struct("<L2Q")),
)

_ENCRYPTION_FLAGS = 0x0001 | 0x0040 | 0x2000  # traditional, strong, masked directory
_PATCHED_FLAG = 0x0020
_DESCRIPTOR_FLAG = 0x0008
_KNOWN_FLAGS = 0x0002 | 0x0004 | _DESCRIPTOR_FLAG | 0x0800  # deflate level hints, UTF-8
_ZIP64_EXTRA = 0x0001
_UNICODE_PATH_EXTRA = 0x7075
_SAT16 = 0xFFFF
_SAT32 = 0xFFFFFFFF
_METHODS = {
    1: "shrink", 6: "implode", 9: "deflate64", 12: "bzip2", 14: "lzma", 18: "IBM TERSE",
    19: "IBM LZ77", 93: "zstd", 94: "mp3", 95: "xz", 96: "jpeg", 97: "wavpack", 98: "ppmd",
}  # fmt: skip

_IN_CHUNK = 256 * 1024
_OUT_CHUNK = 1024 * 1024


def _err(reason: ReasonClass, message: str) -> VerdictError:
    return VerdictError(reason, message)


def _corrupt(message: str) -> VerdictError:
    return VerdictError(
        ReasonClass.CORRUPT, f"{message}; the zip is truncated or corrupt: re-create it"
    )


def _mismatch(message: str) -> VerdictError:
    return VerdictError(
        ReasonClass.STRUCTURE_MISMATCH,
        f"{message}; different zip readers would see different content: re-create the "
        "archive with a standard zip tool or `dfab pack`",
    )


@dataclass(slots=True)
class _Member:
    index: int
    name: bytes
    version_made_by: int
    flags: int
    method: int
    crc: int
    csize: int
    usize: int
    offset: int
    external: int
    extra: bytes


@dataclass(slots=True)
class _End:
    position: int  # where the central directory must end (EOCD or ZIP64 end record)
    entries: int
    cd_size: int
    cd_offset: int


def _extras(extra: bytes, name: bytes) -> dict[int, bytes]:
    """Extra fields by id; strict, since a malformed block is where parsers diverge."""
    found: dict[int, bytes] = {}
    pos, end = 0, len(extra)
    while pos < end:
        if pos + 4 > end:
            raise _corrupt(f"entry {show(name)} has a malformed extra field")
        field_id, size = struct.unpack_from("<2H", extra, pos)
        if pos + 4 + size > end:
            raise _corrupt(f"entry {show(name)} has a malformed extra field")
        if field_id in found and field_id in (_ZIP64_EXTRA, _UNICODE_PATH_EXTRA):
            raise _mismatch(f"entry {show(name)} has two extra fields of type {field_id:#06x}")
        found[field_id] = extra[pos + 4 : pos + 4 + size]
        pos += 4 + size
    return found


def _check_unicode_path(extras: dict[int, bytes], name: bytes) -> None:
    field = extras.get(_UNICODE_PATH_EXTRA)
    if field is not None and field[5:] != name:
        raise _mismatch(
            f"entry {show(name)} carries a second, different name {show(field[5:])} in an "
            "Info-ZIP Unicode path field"
        )


def _zip64_values(extras: dict[int, bytes], name: bytes, wanted: int, *, disk: bool) -> list[int]:
    """The saturated 64-bit values, in spec order, then the 32-bit disk number if asked."""
    field = extras.get(_ZIP64_EXTRA)
    if field is None or len(field) < 8 * wanted + 4 * disk:
        raise _corrupt(f"entry {show(name)} needs a ZIP64 extra field it does not have")
    values = [_U64.unpack_from(field, 8 * i)[0] for i in range(wanted)]
    if disk:
        values.append(_U32.unpack_from(field, 8 * wanted)[0])
    return values


def _find_end(data: bytes) -> tuple[int, tuple[int, ...]]:
    """Locate the one end-of-central-directory record that ends the file exactly."""
    size = len(data)
    low = max(0, size - _END.size - 0xFFFF)
    candidates: list[int] = []
    pos = data.rfind(END_SIG, low)
    while pos >= 0:
        candidates.append(pos)
        pos = data.rfind(END_SIG, low, pos + 3)
    exact: list[tuple[int, tuple[int, ...]]] = []
    short: list[tuple[int, tuple[int, ...]]] = []
    for pos in candidates:
        if pos + _END.size > size:
            continue
        fields = _END.unpack_from(data, pos)
        if not _plausible_end(data, pos, fields):
            continue
        stop = pos + _END.size + fields[7]
        if stop == size:
            exact.append((pos, fields))
        elif stop < size:
            short.append((pos, fields))
    if len(exact) > 1:
        raise _mismatch(f"the zip has {len(exact)} end-of-central-directory records")
    if exact:
        pos, fields = exact[0]
        if candidates[0] > pos:
            raise _mismatch("the zip comment contains an end-of-central-directory signature")
        return exact[0]
    if short:
        pos, fields = short[0]
        extra = size - (pos + _END.size + fields[7])
        raise _err(
            ReasonClass.TRAILING_DATA,
            f"{extra} bytes follow the zip's end-of-central-directory record and comment; "
            "upload the zip file alone, with nothing appended",
        )
    if candidates or data.startswith(LOCAL_SIG):
        raise _corrupt("no valid end-of-central-directory record at the end of the file")
    raise _err(
        ReasonClass.FORMAT_MISMATCH,
        "the file is not a zip archive (no end-of-central-directory record); upload a "
        ".zip or .tar.gz harness package",
    )


def _plausible_end(data: bytes, pos: int, fields: tuple[int, ...]) -> bool:
    entries, cd_size, cd_offset = fields[4], fields[5], fields[6]
    if pos >= _Z64_LOCATOR.size and data.startswith(Z64_LOCATOR_SIG, pos - _Z64_LOCATOR.size):
        return True
    if entries == 0 and cd_size == 0:
        return True
    if cd_size <= pos and data.startswith(CENTRAL_SIG, pos - cd_size):
        return True
    return cd_offset < pos and data.startswith(CENTRAL_SIG, cd_offset)


def _read_end(data: bytes) -> _End:
    pos, fields = _find_end(data)
    _, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, _ = fields
    end = _End(position=pos, entries=entries, cd_size=cd_size, cd_offset=cd_offset)
    locator = pos - _Z64_LOCATOR.size
    if locator >= 0 and data.startswith(Z64_LOCATOR_SIG, locator):
        _, z64_disk, z64_offset, disks = _Z64_LOCATOR.unpack_from(data, locator)
        if z64_disk != 0 or disks > 1:
            raise _err(
                ReasonClass.FORMAT_MISMATCH,
                "the zip is split across several files (multi-disk); upload a single zip",
            )
        if z64_offset + _Z64_END.size > locator or not data.startswith(Z64_END_SIG, z64_offset):
            raise _corrupt("the ZIP64 end-of-central-directory record is missing")
        (_, record_size, _, _, z_disk, z_cd_disk, z_disk_entries, z_entries, z_cd_size,
         z_cd_offset) = _Z64_END.unpack_from(data, z64_offset)  # fmt: skip
        if z64_offset + 12 + record_size != locator:
            raise _mismatch("the ZIP64 end record's size does not match its position")
        pairs = (
            (disk, z_disk, _SAT16),
            (cd_disk, z_cd_disk, _SAT16),
            (disk_entries, z_disk_entries, _SAT16),
            (entries, z_entries, _SAT16),
            (cd_size, z_cd_size, _SAT32),
            (cd_offset, z_cd_offset, _SAT32),
        )
        if any(small not in (big, sat) for small, big, sat in pairs):
            raise _mismatch("the ZIP64 end record disagrees with the classic end record")
        disk, cd_disk, disk_entries = z_disk, z_cd_disk, z_disk_entries
        end = _End(position=z64_offset, entries=z_entries, cd_size=z_cd_size, cd_offset=z_cd_offset)
    elif _SAT16 in (entries, disk_entries) or _SAT32 in (cd_size, cd_offset):
        raise _corrupt("the end record needs a ZIP64 record that is missing")
    if disk != 0 or cd_disk != 0 or disk_entries != end.entries:
        raise _err(
            ReasonClass.FORMAT_MISMATCH,
            "the zip is split across several files (multi-disk); upload a single zip",
        )
    return end


def _locate_directory(data: bytes, end: _End) -> None:
    """The central directory must end exactly where the end records begin."""
    stop = end.cd_offset + end.cd_size
    if stop > end.position:
        raise _corrupt("the central directory runs into its end record")
    if stop == end.position:
        if end.entries and not data.startswith(CENTRAL_SIG, end.cd_offset):
            raise _corrupt("no central directory where the end record says it starts")
        return
    gap = end.position - stop
    if end.entries == 0 and end.cd_size == 0:
        raise _err(
            ReasonClass.PREPENDED_DATA,
            f"{gap} bytes precede an empty zip; upload the zip file alone",
        )
    moved = end.position - end.cd_size
    if data.startswith(CENTRAL_SIG, moved) and not data.startswith(CENTRAL_SIG, end.cd_offset):
        raise _err(
            ReasonClass.PREPENDED_DATA,
            f"{gap} bytes precede the zip (its offsets are relative to a later start, as in "
            "a self-extracting or concatenated file); upload the zip file alone",
        )
    raise _err(
        ReasonClass.TRAILING_DATA,
        f"{gap} bytes sit between the central directory and its end record; "
        "re-create the archive with a standard zip tool",
    )


def _read_directory(data: bytes, end: _End) -> list[_Member]:
    members: list[_Member] = []
    pos, stop = end.cd_offset, end.cd_offset + end.cd_size
    for index in range(end.entries):
        if pos + _CENTRAL.size > stop:
            raise _mismatch(
                f"the central directory ends after {index} of its {end.entries} declared entries"
            )
        (sig, made_by, _, flags, method, _, _, crc, csize, usize, name_len, extra_len,
         comment_len, disk, _, external, offset) = _CENTRAL.unpack_from(data, pos)  # fmt: skip
        if sig != CENTRAL_SIG:
            raise _corrupt(f"central directory record {index} has a bad signature")
        name_at = pos + _CENTRAL.size
        extra_at = name_at + name_len
        pos = extra_at + extra_len + comment_len
        if pos > stop:
            raise _mismatch(f"central directory record {index} runs past the directory's end")
        name = data[name_at:extra_at]
        extra = data[extra_at : extra_at + extra_len]
        wanted = [v == _SAT32 for v in (usize, csize, offset)]
        if any(wanted) or disk == _SAT16:
            extras = _extras(extra, name)
            values = iter(_zip64_values(extras, name, sum(wanted), disk=disk == _SAT16))
            usize = next(values) if wanted[0] else usize
            csize = next(values) if wanted[1] else csize
            offset = next(values) if wanted[2] else offset
            disk = next(values) if disk == _SAT16 else disk
        if disk != 0:
            raise _err(
                ReasonClass.FORMAT_MISMATCH,
                "the zip is split across several files (multi-disk); upload a single zip",
            )
        members.append(
            _Member(index, name, made_by, flags, method, crc, csize, usize, offset, external, extra)
        )
    if pos != stop:
        raise _mismatch(
            f"the central directory holds {stop - pos} bytes beyond its {end.entries} "
            "declared entries"
        )
    return members


def _check_method(member: _Member) -> None:
    name, flags, method = member.name, member.flags, member.method
    if flags & _ENCRYPTION_FLAGS or method == AES:
        raise _err(
            ReasonClass.ENCRYPTED,
            f"entry {show(name)} is encrypted; upload an archive without a password",
        )
    if method not in (STORED, DEFLATED) or flags & _PATCHED_FLAG:
        what = _METHODS.get(method, f"method {method}")
        raise _err(
            ReasonClass.UNSUPPORTED_COMPRESSION,
            f"entry {show(name)} is compressed with {what}; only stored and deflated entries "
            "are accepted: re-create the archive with standard zip compression",
        )
    if flags & ~_KNOWN_FLAGS & 0xFFFF:
        raise _corrupt(f"entry {show(name)} sets unknown general-purpose flags {flags:#06x}")


def _descriptor_length(data: bytes, member: _Member, at: int, limit: int) -> int:
    """Length of a data descriptor at `at` that agrees with the central directory."""
    for signed, layout in _DESCRIPTORS:
        if at + layout.size > limit:
            continue
        values = layout.unpack_from(data, at)
        if signed and values[0] != DESCRIPTOR_SIG:
            continue
        crc, csize, usize = values[1:] if signed else values
        if (crc, csize, usize) == (member.crc, member.csize, member.usize):
            return layout.size
    raise _mismatch(
        f"entry {show(member.name)} has no data descriptor matching its central directory "
        "record (CRC and sizes)"
    )


def _check_local(data: bytes, member: _Member, limit: int) -> tuple[int, int]:
    """Compare the local header with the central record; returns (data start, entry end)."""
    at, name = member.offset, member.name
    if at + _LOCAL.size > limit:
        raise _corrupt(f"entry {show(name)}'s local header lies outside the entry area")
    (sig, _, flags, method, _, _, crc, csize, usize, name_len,
     extra_len) = _LOCAL.unpack_from(data, at)  # fmt: skip
    if sig != LOCAL_SIG:
        raise _mismatch(
            f"the central directory points entry {show(name)} at byte {at}, "
            "where there is no local header"
        )
    name_at = at + _LOCAL.size
    start = name_at + name_len + extra_len
    if start > limit:
        raise _corrupt(f"entry {show(name)}'s local header runs past the entry area")
    local_name = data[name_at : name_at + name_len]
    if local_name != name:
        raise _mismatch(f"entry {show(name)} is named {show(local_name)} in its local header")
    if method != member.method or (flags ^ member.flags) & ~0x0006:
        raise _mismatch(
            f"entry {show(name)}'s local header disagrees with the central directory on "
            "compression method or flags"
        )
    extras = _extras(data[name_at + name_len : start], name)
    _check_unicode_path(extras, name)
    if _SAT32 in (usize, csize):
        field = extras.get(_ZIP64_EXTRA, b"")
        if len(field) >= 8 and usize == _SAT32:
            usize = _U64.unpack_from(field, 0)[0]
        if len(field) >= 16 and csize == _SAT32:
            csize = _U64.unpack_from(field, 8)[0]
    declared = (crc, csize, usize)
    expected = (member.crc, member.csize, member.usize)
    if member.flags & _DESCRIPTOR_FLAG:
        consistent = all(v in (0, e) for v, e in zip(declared, expected, strict=True))
    else:
        consistent = declared == expected
    if not consistent:
        raise _mismatch(
            f"entry {show(name)}'s local header declares CRC/sizes {declared} but the "
            f"central directory declares {expected}"
        )
    stop = start + member.csize
    if stop > limit:
        if stop > len(data):
            raise _corrupt(f"entry {show(name)}'s data runs past the end of the file")
        raise _err(
            ReasonClass.BOMB_OVERLAP,
            f"entry {show(name)}'s data runs into the central directory (overlapping "
            "entries are a zip-bomb technique); re-create the archive",
        )
    if member.flags & _DESCRIPTOR_FLAG:
        stop += _descriptor_length(data, member, stop, limit)
    return start, stop


def _check_layout(data: bytes, members: list[_Member], cd_offset: int) -> list[int]:
    """Entries must tile [0, cd_offset) exactly; returns each member's data start."""
    starts = [0] * len(members)
    if not members:
        if cd_offset:
            raise _err(
                ReasonClass.PREPENDED_DATA,
                f"{cd_offset} bytes precede the zip's central directory; upload the zip alone",
            )
        return starts
    ordered = sorted(members, key=lambda m: m.offset)
    if ordered[0].offset > 0:
        raise _err(
            ReasonClass.PREPENDED_DATA,
            f"{ordered[0].offset} bytes precede the first zip entry (a stub or other data "
            "was prepended); upload the zip file alone",
        )
    cursor, previous = 0, ordered[0]
    for member in ordered:
        if member.offset < cursor:
            raise _err(
                ReasonClass.BOMB_OVERLAP,
                f"entry {show(member.name)} starts at byte {member.offset}, inside entry "
                f"{show(previous.name)} (which ends at byte {cursor}); overlapping entries "
                "are the 'better zip bomb' technique",
            )
        if member.offset > cursor:
            raise _mismatch(
                f"{member.offset - cursor} bytes before entry {show(member.name)} belong to "
                "no entry"
            )
        starts[member.index], cursor = _check_local(data, member, cd_offset)
        previous = member
    if cursor != cd_offset:
        raise _mismatch(
            f"{cd_offset - cursor} bytes between the last entry and the central directory "
            "belong to no entry"
        )
    return starts


def _admit(policy: EntryPolicy, member: _Member) -> ArchiveEntry | None:
    name = member.name
    if member.extra:
        _check_unicode_path(_extras(member.extra, name), name)
    mode = member.external >> 16
    kind = unix_kind(name, mode)
    named_dir = name.endswith(b"/")
    if kind is not None and kind != named_dir:
        raise _mismatch(
            f"entry {show(name)} is a {'directory' if kind else 'file'} by its mode but "
            f"{'a directory' if named_dir else 'a file'} by its name"
        )
    if named_dir and member.usize:
        raise _corrupt(f"directory entry {show(name)} carries {member.usize} bytes of data")
    if member.method == STORED and member.csize != member.usize:
        raise _corrupt(f"stored entry {show(name)} has different compressed and real sizes")
    if member.method == DEFLATED and member.csize == 0 and member.usize:
        raise _corrupt(f"entry {show(name)} declares data but has no compressed bytes")
    return policy.admit(
        name,
        is_dir=named_dir,
        permissions=(mode & 0o7777) if mode else None,
        size=member.usize,
        compressed=member.csize,
    )


def _inflate(data: memoryview, member: _Member, start: int, feed: Callable[[bytes], None]) -> None:
    """Feed a deflated entry to the meter, never producing more than its declared size."""
    stop = start + member.csize
    pos, remaining = start, member.usize
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending: bytes | memoryview = b""
    starved = False
    try:
        while not inflater.eof:
            if not pending:
                if pos < stop:
                    pending = data[pos : min(pos + _IN_CHUNK, stop)]
                    pos += len(pending)
                elif starved:
                    break
            allowed = min(_OUT_CHUNK, remaining + 1)
            out = inflater.decompress(pending, allowed)
            pending = inflater.unconsumed_tail
            starved = len(out) < allowed
            if out:
                remaining -= len(out)
                if remaining < 0:
                    raise _corrupt(
                        f"entry {show(member.name)} inflates to more than the "
                        f"{member.usize} bytes it declares (a lying header)"
                    )
                feed(out)
    except zlib.error as exc:
        raise _corrupt(f"entry {show(member.name)} has invalid deflate data ({exc})") from exc
    if not inflater.eof:
        raise _corrupt(f"entry {show(member.name)}'s deflate stream is truncated")
    if inflater.unused_data or pending or pos < stop:
        raise _mismatch(
            f"entry {show(member.name)}'s deflate stream ends before its declared "
            f"compressed size of {member.csize} bytes"
        )


def walk_zip(data: bytes, policy: EntryPolicy) -> None:
    """Check a whole zip: structure and metadata first, then every entry's real data."""
    end = _read_end(data)
    policy.budget.check_entry_count(end.entries, "the zip's end record declares")
    _locate_directory(data, end)
    members = _read_directory(data, end)
    for member in members:
        _check_method(member)
    starts = _check_layout(data, members, end.cd_offset)
    admitted: list[tuple[_Member, ArchiveEntry]] = []
    for member in members:
        entry = _admit(policy, member)
        if entry is not None:
            admitted.append((member, entry))
    view = memoryview(data)
    for member, entry in admitted:
        start = starts[member.index]
        meter = policy.open(entry, track_crc=True)
        if member.method == STORED:
            stop = start + member.csize
            for pos in range(start, stop, _OUT_CHUNK):
                meter.feed(view[pos : min(pos + _OUT_CHUNK, stop)])
        elif member.csize:
            _inflate(view, member, start, meter.feed)
        if meter.close() != member.crc:
            raise _corrupt(f"entry {show(member.name)} fails its CRC-32 check")
