"""tar.gz, parsed here from 512-byte headers rather than trusted to tarfile.

Accepted: ustar and GNU headers; regular files and directories; GNU long names (`L`)
and per-entry pax records (`x`) for path and size. Refused: links, devices, FIFOs,
sparse files, pax global headers (`g`), and every construct that tar implementations
resolve differently (stacked long-name/pax records, a pax size that contradicts the
header, data after the end-of-archive marker, ...): `TAR_AMBIGUOUS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dfab.contracts.reasons import ReasonClass, VerdictError

from .gzstream import inflate_gzip
from .modes import link_error, special_error, unix_kind
from .names import show
from .policy import EntryPolicy

BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)
MAX_PAX_BYTES = 64 * 1024
MAX_LONG_NAME_BYTES = 4096
#: Decompressed bytes allowed per entry beyond its data (headers, padding, records).
OVERHEAD_PER_ENTRY = 16 * 1024
#: Decompressed bytes allowed for end-of-archive padding (large blocking factors).
END_SLACK = 1024 * 1024

_REGULAR = (b"0", b"\0", b"7")
_DIRECTORY = b"5"
_SPECIAL = {b"3": "a character device", b"4": "a block device", b"6": "a FIFO"}
_UTF8_CHARSET = b"ISO-IR 10646 2000 UTF-8"
_OCTAL = b"01234567"


def _corrupt(message: str) -> VerdictError:
    return VerdictError(
        ReasonClass.CORRUPT, f"{message}; the .tar.gz is truncated or corrupt: re-create it"
    )


def _ambiguous(message: str) -> VerdictError:
    return VerdictError(
        ReasonClass.TAR_AMBIGUOUS,
        f"{message}; tar implementations disagree on such archives: re-create it with "
        "GNU tar, Python's tarfile or `dfab pack`",
    )


class _Stream:
    """Exact reads over the decompressed chunks, without copying file data."""

    __slots__ = ("_buf", "_chunks", "_pos", "offset")

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""
        self._pos = 0
        self.offset = 0

    def _more(self) -> bool:
        for chunk in self._chunks:
            if chunk:
                self._buf, self._pos = chunk, 0
                return True
        self._buf, self._pos = b"", 0
        return False

    def read(self, size: int) -> bytes:
        """`size` bytes, or fewer only at the end of the stream."""
        buf, pos = self._buf, self._pos
        if len(buf) - pos >= size:
            self._pos = pos + size
            self.offset += size
            return buf[pos : pos + size]
        parts = [buf[pos:]]
        got = len(buf) - pos
        self._buf, self._pos = b"", 0
        while got < size and self._more():
            take = min(size - got, len(self._buf))
            parts.append(self._buf[:take])
            self._pos = take
            got += take
        self.offset += got
        return b"".join(parts)

    def pieces(self, size: int, what: str) -> Iterator[memoryview]:
        """Exactly `size` bytes as views into the chunks; truncation is `CORRUPT`."""
        while size:
            if self._pos >= len(self._buf) and not self._more():
                raise _corrupt(f"the tar stream ends inside {what}")
            take = min(size, len(self._buf) - self._pos)
            yield memoryview(self._buf)[self._pos : self._pos + take]
            self._pos += take
            self.offset += take
            size -= take

    def skip(self, size: int, what: str) -> None:
        for _ in self.pieces(size, what):
            pass

    def rest_is_zero(self) -> bool:
        """Drain the stream (running every gzip check) and report if it was all zeros."""
        chunk = self._buf[self._pos :]
        while True:
            if chunk.count(0) != len(chunk):
                return False
            if not self._more():
                return True
            chunk = self._buf


@dataclass(slots=True)
class _Header:
    name: bytes
    mode: int
    size: int
    typeflag: bytes
    linkname: bytes


def _number(field: bytes, what: str, at: int) -> int:
    """An octal (or GNU base-256) numeric field; anything else is corrupt."""
    if field and field[0] & 0x80:
        if field[0] != 0x80:
            raise _corrupt(f"the tar header at byte {at} has a negative or oversized {what}")
        return int.from_bytes(field[1:], "big")
    text = field.split(b"\0", 1)[0].strip(b" ")
    if text.translate(None, _OCTAL):
        raise _corrupt(f"the tar header at byte {at} has a non-octal {what} field")
    return int(text, 8) if text else 0


def _parse_header(block: bytes, *, first: bool, at: int) -> _Header:
    magic = block[257:263]
    if magic == b"ustar\0":
        gnu = False
    elif magic == b"ustar " and block[263:265] == b" \0":
        gnu = True
    elif first:
        raise VerdictError(
            ReasonClass.FORMAT_MISMATCH,
            "the gzip data is not a ustar/GNU/pax tar archive; upload a .tar.gz of the "
            "harness directory (or a .zip)",
        )
    else:
        raise _corrupt(f"the tar header at byte {at} has no ustar magic")
    stored = _number(block[148:156], "checksum", at)
    unsigned = sum(block) - sum(block[148:156]) + 8 * 0x20
    if stored != unsigned:
        high = sum(1 for b in block[:148] if b & 0x80) + sum(1 for b in block[156:] if b & 0x80)
        if stored != unsigned - 256 * high:
            raise _corrupt(f"the tar header at byte {at} fails its checksum")
    name = block[:100].split(b"\0", 1)[0]
    prefix = b"" if gnu else block[345:500].split(b"\0", 1)[0]
    return _Header(
        name=prefix + b"/" + name if prefix else name,
        mode=_number(block[100:108], "mode", at),
        size=_number(block[124:136], "size", at),
        typeflag=block[156:157],
        linkname=block[157:257].split(b"\0", 1)[0],
    )


def _parse_pax(payload: bytes, at: int) -> dict[str, bytes]:
    """Per-entry pax records `"<len> <key>=<value>\\n"`; only path and size are honored."""
    records: dict[str, bytes] = {}
    pos = 0
    while pos < len(payload):
        space = payload.find(b" ", pos, pos + 20)
        digits = payload[pos:space] if space > pos else b""
        if not digits.isdigit():
            raise _corrupt(f"the pax header at byte {at} has a malformed record")
        end = pos + int(digits)
        if end > len(payload) or end <= space + 1 or payload[end - 1] != 0x0A:
            raise _corrupt(f"the pax header at byte {at} has a malformed record")
        key, equals, value = payload[space + 1 : end - 1].partition(b"=")
        try:
            text = key.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if not equals or not text:
            raise _corrupt(f"the pax header at byte {at} has a malformed record")
        if text in records:
            raise _ambiguous(f"the pax header at byte {at} sets {text!r} twice")
        records[text] = value
        pos = end
    for key, value in records.items():
        if key.startswith("GNU.sparse."):
            raise _ambiguous(f"the pax header at byte {at} describes a sparse file")
        if key == "hdrcharset" and value != _UTF8_CHARSET:
            raise _ambiguous(f"the pax header at byte {at} declares a non-UTF-8 charset")
        if key in ("path", "size", "linkpath") and not value:
            raise _ambiguous(f"the pax header at byte {at} clears the {key!r} keyword")
        if key == "size" and not value.isdigit():
            raise _corrupt(f"the pax header at byte {at} has a non-numeric size")
    return records


def walk_tar_gz(data: bytes, policy: EntryPolicy) -> None:
    """Check a whole tar.gz in one streaming pass: headers, names, limits, real data."""
    settings, budget = policy.budget.settings, policy.budget
    cap = settings.max_unpacked_bytes + settings.max_entries * OVERHEAD_PER_ENTRY + END_SLACK
    chunks = inflate_gzip(
        memoryview(data), cap=cap, overflow=lambda n, used: budget.stream_overflow(n, used, cap)
    )
    stream = _Stream(chunks)
    pax: dict[str, bytes] | None = None
    long_name: bytes | None = None
    first = True
    while True:
        at = stream.offset
        block = stream.read(BLOCK)
        if len(block) < BLOCK:
            if first and not block:
                raise VerdictError(
                    ReasonClass.FORMAT_MISMATCH, "the gzip data is empty, not a tar archive"
                )
            raise _corrupt("the tar stream ends without its end-of-archive marker")
        if block == ZERO_BLOCK:
            if pax is not None or long_name is not None:
                raise _ambiguous("a pax or GNU long-name record is followed by no entry")
            if not stream.rest_is_zero():
                raise _ambiguous("non-zero data follows the tar end-of-archive marker")
            return
        header = _parse_header(block, first=first, at=at)
        first = False
        kind, size = header.typeflag, header.size
        if kind == b"x":
            if pax is not None or long_name is not None:
                raise _ambiguous(f"several pax/long-name records precede the entry at byte {at}")
            if size > MAX_PAX_BYTES:
                raise VerdictError(
                    ReasonClass.TOO_LARGE,
                    f"the pax header at byte {at} is {size} bytes; the limit is "
                    f"{MAX_PAX_BYTES} (drop extended attributes, e.g. tar --no-xattrs)",
                )
            payload = stream.read(size)
            if len(payload) < size:
                raise _corrupt("the tar stream ends inside a pax header")
            stream.skip(-size % BLOCK, "padding")
            pax = _parse_pax(payload, at)
            continue
        if kind == b"L":
            if pax is not None or long_name is not None:
                raise _ambiguous(f"several pax/long-name records precede the entry at byte {at}")
            if size > MAX_LONG_NAME_BYTES:
                raise VerdictError(
                    ReasonClass.BAD_NAME,
                    f"the GNU long name at byte {at} is {size} bytes; names are limited",
                )
            payload = stream.read(size)
            if len(payload) < size:
                raise _corrupt("the tar stream ends inside a GNU long name")
            stream.skip(-size % BLOCK, "padding")
            long_name = payload.rstrip(b"\0")
            continue
        if pax is not None and "path" in pax:
            raw_name = pax["path"]
        elif long_name is not None:
            raw_name = long_name
        else:
            raw_name = header.name
        if kind == b"g":
            raise _ambiguous(
                f"a pax global header at byte {at} would change how every later entry is read"
            )
        if kind in (b"1", b"2"):
            what = "a hard link" if kind == b"1" else "a symbolic link"
            raise link_error(raw_name, f"{what} (to {show(header.linkname)})")
        if kind == b"K":
            raise link_error(raw_name, "a GNU long link name record")
        if kind in _SPECIAL:
            raise special_error(raw_name, _SPECIAL[kind])
        if kind == b"S" or (kind not in _REGULAR and kind != _DIRECTORY):
            what = "a GNU sparse file" if kind == b"S" else f"of unknown tar type {kind!r}"
            raise _ambiguous(f"entry {show(raw_name)} is {what}")
        is_dir = kind == _DIRECTORY
        typed = unix_kind(raw_name, header.mode)
        if typed is not None and typed != is_dir:
            raise _ambiguous(f"entry {show(raw_name)}'s mode and type flag disagree")
        if not is_dir and raw_name.endswith(b"/"):
            raise _ambiguous(
                f"regular-file entry {show(raw_name)} ends with '/' (old tars read it as a "
                "directory)"
            )
        if pax is not None:
            if "linkpath" in pax:
                raise _ambiguous(f"entry {show(raw_name)} is not a link but has a link target")
            if "size" in pax and int(pax["size"]) != size:
                raise _ambiguous(
                    f"entry {show(raw_name)}'s pax size {int(pax['size'])} contradicts its "
                    f"header size {size}"
                )
        if is_dir and size:
            raise _ambiguous(f"directory entry {show(raw_name)} declares {size} bytes of data")
        entry = policy.admit(
            raw_name,
            is_dir=is_dir,
            permissions=header.mode & 0o7777,
            size=size,
            compressed=None,
        )
        pax, long_name = None, None
        if entry is None:
            continue
        meter = policy.open(entry)
        for piece in stream.pieces(size, f"entry {show(entry.name)}"):
            budget.stream_bytes(entry.name, len(piece))
            meter.feed(piece)
        meter.close()
        stream.skip(-size % BLOCK, "padding")
