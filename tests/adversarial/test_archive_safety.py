"""Adversarial archives against `dfab.archive`, every one built here byte by byte.

zipfile/tarfile cannot write most of these (that is the point), so zips and tars are
assembled with struct. Each rejection must carry the expected reason class, extraction
of every rejected archive must leave nothing behind (inside or outside the target),
and bombs must be refused in bounded memory.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import shutil
import stat
import struct
import subprocess
import tarfile
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dfab.archive import (
    ArchiveListing,
    extract_archive,
    inspect_archive,
    inspect_bytes,
    pack_directory,
)
from dfab.archive.extract import extract_bytes
from dfab.archive.models import ArchiveEntry
from dfab.contracts.reasons import ReasonClass, VerdictError
from dfab.settings import ArchiveSettings

R = ReasonClass
DEFAULT = ArchiveSettings()
MiB = 1024 * 1024

# --------------------------------------------------------------------------- zip builder


@dataclass
class Z:
    """One zip entry; every field a forger could lie about can be overridden."""

    name: bytes | str
    data: bytes = b""
    method: int = 8
    flags: int = 0
    mode: int = 0o100644  # upper half of the external attributes; 0 = none
    made_by: int = 0x0314  # Unix, spec 2.0
    descriptor: bool = False
    descriptor_sig: bool = True
    descriptor_crc: int | None = None
    payload: bytes | None = None  # raw compressed bytes instead of compressing `data`
    crc: int | None = None
    csize: int | None = None
    usize: int | None = None
    local_name: bytes | None = None
    local_method: int | None = None
    local_flags: int | None = None
    local_usize: int | None = None
    cd_extra: bytes = b""
    local_extra: bytes = b""
    zip64: bool = False
    offset: int | None = None


def raw(name: bytes | str) -> bytes:
    return name.encode("utf-8") if isinstance(name, str) else name


def deflate(data: bytes, level: int = 9) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def build_zip(
    entries: list[Z],
    *,
    prepend: bytes = b"",
    adjust: bool = True,
    between: bytes = b"",
    cd_gap: bytes = b"",
    append: bytes = b"",
    comment: bytes = b"",
    count: int | None = None,
    zip64_end: bool = False,
) -> bytes:
    """A zip; `adjust=False` leaves offsets relative to the zip's start (`cat stub x.zip`)."""
    out = bytearray(prepend)
    shift = 0 if adjust else len(prepend)
    records: list[bytes] = []
    for i, e in enumerate(entries):
        if i:
            out += between
        name = raw(e.name)
        payload = e.payload
        if payload is None:
            payload = deflate(e.data) if e.method == 8 else e.data
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        csize = len(payload) if e.csize is None else e.csize
        usize = len(e.data) if e.usize is None else e.usize
        flags = e.flags | (0x08 if e.descriptor else 0)
        offset = len(out) - shift if e.offset is None else e.offset
        l_crc, l_csize, l_usize = (0, 0, 0) if e.descriptor else (crc, csize, usize)
        if e.local_usize is not None:
            l_usize = e.local_usize
        local_extra, cd_extra = e.local_extra, e.cd_extra
        cd_csize, cd_usize, cd_offset = csize, usize, offset
        if e.zip64:
            local_extra += struct.pack("<2H2Q", 1, 16, l_usize, l_csize)
            l_csize = l_usize = 0xFFFFFFFF
            cd_extra += struct.pack("<2H3Q", 1, 24, usize, csize, offset)
            cd_csize = cd_usize = cd_offset = 0xFFFFFFFF
        out += struct.pack(
            "<4s5H3L2H",
            b"PK\x03\x04",
            20,
            flags if e.local_flags is None else e.local_flags,
            e.method if e.local_method is None else e.local_method,
            0,
            0x21,
            l_crc,
            l_csize,
            l_usize,
            len(e.local_name if e.local_name is not None else name),
            len(local_extra),
        )
        out += (e.local_name if e.local_name is not None else name) + local_extra + payload
        if e.descriptor:
            d_crc = crc if e.descriptor_crc is None else e.descriptor_crc
            sizes = struct.pack("<2Q" if e.zip64 else "<2L", csize, usize)
            out += (b"PK\x07\x08" if e.descriptor_sig else b"") + struct.pack("<L", d_crc) + sizes
        records.append(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                e.made_by,
                20,
                flags,
                e.method,
                0,
                0x21,
                crc,
                cd_csize,
                cd_usize,
                len(name),
                len(cd_extra),
                0,
                0,
                0,
                (e.mode << 16) & 0xFFFFFFFF,
                cd_offset,
            )
            + name
            + cd_extra
        )
    cd_at = len(out)
    directory = b"".join(records)
    out += directory
    n = len(entries) if count is None else count
    if zip64_end:
        z64_at = len(out) + len(cd_gap)
        out += cd_gap
        out += struct.pack(
            "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, len(directory), cd_at - shift
        )
        out += struct.pack("<4sLQL", b"PK\x06\x07", 0, z64_at - shift, 1)
        out += struct.pack(
            "<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, len(comment)
        )
    else:
        out += cd_gap
        out += struct.pack(
            "<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(directory), cd_at - shift, len(comment)
        )
    return bytes(out + comment + append)


def zfile(name: str | bytes, data: bytes = b"print('hi')\n", **kw: object) -> Z:
    return Z(name=name, data=data, **kw)  # type: ignore[arg-type]


def zdir(name: str) -> Z:
    return Z(name=name, data=b"", method=0, mode=0o040755)


def basic_zip(*extra: Z, **kw: object) -> bytes:
    return build_zip(
        [zfile("harness.toml", b"[harness]\n"), zfile("generate.py"), *extra],
        **kw,  # type: ignore[arg-type]
    )


def noise(n: int, seed: int = 1) -> bytes:
    """Incompressible bytes: sizes over a limit without looking like a bomb."""
    return random.Random(seed).randbytes(n)


# --------------------------------------------------------------- deflate bomb kernels


class _Bits:
    """LSB-first bit writer (deflate order); Huffman codes go MSB-first."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, value: int, count: int) -> None:
        self.acc |= value << self.n
        self.n += count
        while self.n >= 8:
            self.out.append(self.acc & 0xFF)
            self.acc >>= 8
            self.n -= 8

    def code(self, code: int, length: int) -> None:
        self.put(int(f"{code:0{length}b}"[::-1], 2), length)

    def zeros(self, count: int) -> None:
        first = min(count, (8 - self.n) % 8)
        self.put(0, first)
        count -= first
        self.out += bytes(count // 8)
        self.put(0, count % 8)

    def finish(self) -> bytes:
        if self.n:
            self.out.append(self.acc & 0xFF)
        return bytes(self.out)


def zero_kernel(matches: int) -> bytes:
    """A final dynamic-Huffman deflate block inflating to 1 + 258*matches zero bytes.

    Length 258 and distance 1 get 1-bit codes, so each 258 output bytes cost 2 bits
    (the format's maximum ratio, ~1032:1), as in real zip bombs.
    """
    b = _Bits()
    b.put(1, 1)  # BFINAL
    b.put(2, 2)  # dynamic Huffman
    b.put(286 - 257, 5)  # HLIT
    b.put(0, 5)  # HDIST: one distance code
    b.put(18 - 4, 4)  # HCLEN
    order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
    cl_lengths = {18: 1, 1: 2, 2: 2}
    for sym in order[:18]:
        b.put(cl_lengths.get(sym, 0), 3)
    cl_codes = {18: (0b0, 1), 1: (0b10, 2), 2: (0b11, 2)}

    def zero_run(k: int) -> None:
        b.code(*cl_codes[18])
        b.put(k - 11, 7)

    b.code(*cl_codes[2])  # literal 0: length 2
    zero_run(138)
    zero_run(117)  # literals 1..255 unused
    b.code(*cl_codes[2])  # 256 end-of-block: length 2
    zero_run(28)  # 257..284 unused
    b.code(*cl_codes[1])  # 285 (length 258): length 1
    b.code(*cl_codes[1])  # distance code 0: length 1
    b.code(0b10, 2)  # literal 0
    b.zeros(2 * matches)  # (258, distance 1) = "0" + "0"
    b.code(0b11, 2)  # end of block
    return b.finish()


def overlap_bomb(files: int = 450, matches: int = 9_700_000) -> tuple[bytes, int]:
    """A David Fifield-style quoted-overlap zip bomb; returns (zip, total declared bytes).

    Every entry's deflate stream quotes (as a stored block) the local headers of all
    later entries and ends in one shared kernel; CRCs are left 0 because a validator
    must refuse the file long before any data is read.
    """
    kernel = zero_kernel(matches)
    kernel_out = 1 + 258 * matches
    names = [f"f{i:04d}.txt".encode() for i in range(files)]
    header_len = 30 + len(names[0])
    csize = [0] * files
    usize = [0] * files
    csize[-1], usize[-1] = len(kernel), kernel_out
    for i in range(files - 2, -1, -1):
        csize[i] = 5 + header_len + csize[i + 1]
        usize[i] = header_len + usize[i + 1]

    def local(i: int) -> bytes:
        return (
            struct.pack(
                "<4s5H3L2H",
                b"PK\x03\x04",
                20,
                0,
                8,
                0,
                0x21,
                0,
                csize[i],
                usize[i],
                len(names[i]),
                0,
            )
            + names[i]
        )

    out = bytearray()
    offsets = []
    for i in range(files):
        offsets.append(len(out))
        out += local(i)
        if i < files - 1:
            out += struct.pack("<BHH", 0, header_len, header_len ^ 0xFFFF)
    out += kernel
    cd_at = len(out)
    for i in range(files):
        out += (
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                0x0314,
                20,
                0,
                8,
                0,
                0x21,
                0,
                csize[i],
                usize[i],
                len(names[i]),
                0,
                0,
                0,
                0,
                0o100644 << 16,
                offsets[i],
            )
            + names[i]
        )
    cd_len = len(out) - cd_at
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, files, files, cd_len, cd_at, 0)
    return bytes(out), sum(usize)


# --------------------------------------------------------------------------- tar builder

BLOCK = 512
TAR_END = bytes(2 * BLOCK)


def pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % BLOCK)


def tar_header(
    name: bytes | str,
    *,
    size: int = 0,
    typeflag: bytes = b"0",
    mode: int = 0o644,
    linkname: bytes = b"",
    prefix: bytes = b"",
    gnu: bool = False,
    magic: bytes | None = None,
    checksum_delta: int = 0,
    size_field: bytes | None = None,
) -> bytes:
    h = bytearray(BLOCK)
    n = raw(name)
    h[0 : len(n)] = n
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"%07o\0" % 0
    h[116:124] = b"%07o\0" % 0
    h[124:136] = size_field if size_field is not None else b"%011o\0" % size
    h[136:148] = b"%011o\0" % 0
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[157 : 157 + len(linkname)] = linkname
    m = magic if magic is not None else (b"ustar  \0" if gnu else b"ustar\x0000")
    h[257 : 257 + len(m)] = m
    h[345 : 345 + len(prefix)] = prefix
    h[148:156] = b"%06o\0 " % (sum(h) + checksum_delta)
    return bytes(h)


def tfile(name: bytes | str, data: bytes = b"print('hi')\n", **kw: object) -> bytes:
    return tar_header(name, size=len(data), **kw) + pad(data)  # type: ignore[arg-type]


def tdir(name: str, **kw: object) -> bytes:
    return tar_header(name, typeflag=b"5", mode=0o755, **kw)  # type: ignore[arg-type]


def pax_record(key: bytes, value: bytes) -> bytes:
    body = b" " + key + b"=" + value + b"\n"
    n = len(body) + 1
    while len(str(n)) + len(body) != n:
        n = len(str(n)) + len(body)
    return str(n).encode() + body


def tpax(*records: tuple[bytes, bytes], typeflag: bytes = b"x") -> bytes:
    payload = b"".join(pax_record(k, v) for k, v in records)
    return tar_header("././@PaxHeader", size=len(payload), typeflag=typeflag) + pad(payload)


def tlong(name: bytes | str) -> bytes:
    data = raw(name) + b"\0"
    return tar_header("././@LongLink", size=len(data), typeflag=b"L", gnu=True) + pad(data)


def tgz(*members: bytes, end: bytes = TAR_END) -> bytes:
    return gzip.compress(b"".join(members) + end, mtime=0)


def basic_tar(*members: bytes, end: bytes = TAR_END) -> bytes:
    return tgz(tfile("harness.toml", b"[harness]\n"), tfile("generate.py"), *members, end=end)


# ----------------------------------------------------------------------------- harness


@pytest.fixture
def jail(tmp_path: Path) -> Path:
    """A directory whose whole tree (and its parent's listing) is checked after each case."""
    root = tmp_path / "jail"
    (root / "in").mkdir(parents=True)
    return root


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


ESCAPES = ("/tmp/dfab-escape", "/tmp/dfab-escape.py")


def assert_rejected(
    jail: Path,
    data: bytes,
    fmt: str | None,
    expected: ReasonClass,
    settings: ArchiveSettings = DEFAULT,
) -> VerdictError:
    archive = jail / "in" / ("upload." + (fmt or "bin"))
    archive.write_bytes(data)
    before_parent = sorted(os.listdir(jail.parent))
    before = tree(jail)
    with pytest.raises(VerdictError) as caught:
        inspect_archive(archive, settings, declared_format=fmt)  # type: ignore[arg-type]
    assert caught.value.reason.reason_class == expected, caught.value.reason.message
    dest = jail / "out" / "harness"
    (jail / "out").mkdir()
    with pytest.raises(VerdictError) as again:
        extract_archive(archive, dest, settings, declared_format=fmt)  # type: ignore[arg-type]
    assert again.value.reason.reason_class == expected
    assert not dest.exists()
    (jail / "out").rmdir()
    assert tree(jail) == before
    assert sorted(os.listdir(jail.parent)) == before_parent
    assert not any(Path(p).exists() for p in ESCAPES)
    return caught.value


@dataclass
class Case:
    build: Callable[[], bytes]
    fmt: str | None
    expected: ReasonClass
    settings: ArchiveSettings = DEFAULT


SMALL = ArchiveSettings(
    max_archive_bytes=64 * 1024,
    max_unpacked_bytes=6000,
    max_entries=5,
    max_entry_bytes=3000,
)

ZIP_CASES: dict[str, Case] = {
    # limits
    "zip-archive-too-large": Case(
        lambda: basic_zip(zfile("seed.bin", noise(70_000), method=0)), "zip", R.TOO_LARGE, SMALL
    ),
    "zip-entry-too-large": Case(
        lambda: basic_zip(zfile("seed.bin", noise(4000))), "zip", R.TOO_LARGE, SMALL
    ),
    "zip-total-too-large": Case(
        lambda: basic_zip(*(zfile(f"s{i}.bin", noise(2500, i)) for i in range(3))),
        "zip",
        R.TOO_LARGE,
        SMALL,
    ),
    "zip-too-many-entries": Case(
        lambda: basic_zip(*(zfile(f"m{i}.py") for i in range(4))), "zip", R.TOO_MANY_ENTRIES, SMALL
    ),
    "zip-declared-entry-count": Case(lambda: basic_zip(count=60_000), "zip", R.TOO_MANY_ENTRIES),
    "zip-implied-directories": Case(
        lambda: build_zip([zfile("a/b/c/d/e/f/g.py")]), "zip", R.TOO_MANY_ENTRIES, SMALL
    ),
    # bombs
    "zip-full-overlap": Case(
        lambda: build_zip(
            [zfile("a.py", b"x" * 100), zfile("b.py", b"x" * 100, offset=0, local_name=b"a.py")]
        ),
        "zip",
        R.BOMB_OVERLAP,
    ),
    "zip-data-into-directory": Case(
        lambda: basic_zip(zfile("z.py", b"abc", method=0, csize=40, usize=40, payload=b"abc")),
        "zip",
        R.BOMB_OVERLAP,
    ),
    "zip-ratio": Case(lambda: basic_zip(zfile("zeros.txt", bytes(MiB))), "zip", R.BOMB_RATIO),
    "zip-declared-size-zip64": Case(
        lambda: basic_zip(zfile("big.txt", b"tiny", usize=2**40, zip64=True)),
        "zip",
        R.BOMB_DECLARED_SIZE,
    ),
    "zip-declared-size-4g": Case(
        lambda: basic_zip(zfile("big.txt", b"tiny", usize=0xFFFFFFFE)),
        "zip",
        R.BOMB_DECLARED_SIZE,
    ),
    # nesting
    "zip-nested-by-name": Case(
        lambda: basic_zip(zfile("vendor/lib.zip", b"not really a zip")), "zip", R.NESTED_ARCHIVE
    ),
    "zip-nested-whl": Case(lambda: basic_zip(zfile("x.WHL", b"data")), "zip", R.NESTED_ARCHIVE),
    "zip-nested-by-content": Case(
        lambda: basic_zip(zfile("data.bin", basic_zip())), "zip", R.NESTED_ARCHIVE
    ),
    "zip-nested-gzip-content": Case(
        lambda: basic_zip(zfile("seed.dat", gzip.compress(b"x" * 100))), "zip", R.NESTED_ARCHIVE
    ),
    "zip-nested-tar-content": Case(
        lambda: basic_zip(zfile("seed.dat", tfile("a.py") + TAR_END)), "zip", R.NESTED_ARCHIVE
    ),
    # paths
    "zip-dotdot": Case(lambda: basic_zip(zfile("../evil.py")), "zip", R.PATH_TRAVERSAL),
    "zip-dotdot-deep": Case(
        lambda: basic_zip(zfile("a/../../../tmp/dfab-escape.py")), "zip", R.PATH_TRAVERSAL
    ),
    "zip-absolute": Case(lambda: basic_zip(zfile("/tmp/dfab-escape")), "zip", R.PATH_TRAVERSAL),
    "zip-backslash": Case(lambda: basic_zip(zfile("a\\..\\evil.py")), "zip", R.PATH_TRAVERSAL),
    "zip-drive": Case(lambda: basic_zip(zfile("C:/evil.py")), "zip", R.PATH_TRAVERSAL),
    "zip-drive-relative": Case(lambda: basic_zip(zfile("c:evil.py")), "zip", R.PATH_TRAVERSAL),
    "zip-dotdot-dir": Case(lambda: basic_zip(zdir("../d/")), "zip", R.PATH_TRAVERSAL),
    # types and modes
    "zip-symlink": Case(
        lambda: basic_zip(zfile("link", b"/etc/passwd", mode=0o120777)), "zip", R.LINK
    ),
    "zip-symlink-dir-escape": Case(
        lambda: basic_zip(zfile("up", b"../../..", mode=0o120755)), "zip", R.LINK
    ),
    "zip-fifo": Case(lambda: basic_zip(zfile("p", b"", mode=0o010644)), "zip", R.SPECIAL_FILE),
    "zip-chardev": Case(
        lambda: basic_zip(zfile("null", b"", mode=0o020666)), "zip", R.SPECIAL_FILE
    ),
    "zip-blockdev": Case(
        lambda: basic_zip(zfile("sda", b"", mode=0o060660)), "zip", R.SPECIAL_FILE
    ),
    "zip-socket": Case(lambda: basic_zip(zfile("s", b"", mode=0o140755)), "zip", R.SPECIAL_FILE),
    "zip-setuid": Case(
        lambda: basic_zip(zfile("run.sh", b"#!/bin/sh\n", mode=0o104755)), "zip", R.PERMISSIONS
    ),
    "zip-setgid": Case(
        lambda: basic_zip(zfile("run.sh", b"#!/bin/sh\n", mode=0o102755)), "zip", R.PERMISSIONS
    ),
    "zip-sticky-dir": Case(
        lambda: basic_zip(Z(name="tmp/", method=0, mode=0o041777)), "zip", R.PERMISSIONS
    ),
    # names
    "zip-duplicate": Case(lambda: basic_zip(zfile("generate.py")), "zip", R.NAME_COLLISION),
    "zip-case": Case(
        lambda: basic_zip(zfile("README.md", b"a"), zfile("readme.md", b"b")),
        "zip",
        R.NAME_COLLISION,
    ),
    "zip-nfc-nfd": Case(
        lambda: basic_zip(zfile("caf\u00e9.py"), zfile("cafe\u0301.py")), "zip", R.NAME_COLLISION
    ),
    "zip-casefold-sharp-s": Case(
        lambda: basic_zip(zfile("stra\u00dfe.py"), zfile("STRASSE.py")), "zip", R.NAME_COLLISION
    ),
    "zip-file-vs-dir": Case(
        lambda: basic_zip(zfile("pkg", b"x"), zfile("pkg/mod.py")), "zip", R.NAME_COLLISION
    ),
    "zip-dir-spellings": Case(
        lambda: basic_zip(zfile("Pkg/a.py"), zfile("pkg/b.py")), "zip", R.NAME_COLLISION
    ),
    "zip-duplicate-dir": Case(lambda: basic_zip(zdir("d/"), zdir("d/")), "zip", R.NAME_COLLISION),
    "zip-nul": Case(lambda: basic_zip(zfile(b"a\x00.py")), "zip", R.BAD_NAME),
    "zip-newline": Case(lambda: basic_zip(zfile("a\nb.py")), "zip", R.BAD_NAME),
    "zip-non-utf8": Case(lambda: basic_zip(zfile(b"\xff\xfe.py")), "zip", R.BAD_NAME),
    "zip-empty-name": Case(lambda: basic_zip(zfile(b"")), "zip", R.BAD_NAME),
    "zip-empty-component": Case(lambda: basic_zip(zfile("a//b.py")), "zip", R.BAD_NAME),
    "zip-bidi": Case(lambda: basic_zip(zfile("evil\u202eyp.sh")), "zip", R.BAD_NAME),
    "zip-long-component": Case(lambda: basic_zip(zfile("x" * 300 + ".py")), "zip", R.BAD_NAME),
    # encryption and compression
    "zip-encrypted": Case(lambda: basic_zip(zfile("s.py", flags=0x1)), "zip", R.ENCRYPTED),
    "zip-strong-encryption": Case(lambda: basic_zip(zfile("s.py", flags=0x41)), "zip", R.ENCRYPTED),
    "zip-aes": Case(
        lambda: basic_zip(zfile("s.py", method=99, payload=b"\x00" * 20)), "zip", R.ENCRYPTED
    ),
    "zip-bzip2": Case(
        lambda: basic_zip(zfile("s.py", method=12, payload=b"BZh9")),
        "zip",
        R.UNSUPPORTED_COMPRESSION,
    ),
    "zip-lzma": Case(
        lambda: basic_zip(zfile("s.py", method=14, payload=b"\0" * 9)),
        "zip",
        R.UNSUPPORTED_COMPRESSION,
    ),
    "zip-zstd": Case(
        lambda: basic_zip(zfile("s.py", method=93, payload=b"\0" * 9)),
        "zip",
        R.UNSUPPORTED_COMPRESSION,
    ),
    "zip-deflate64": Case(
        lambda: basic_zip(zfile("s.py", method=9, payload=b"\0" * 9)),
        "zip",
        R.UNSUPPORTED_COMPRESSION,
    ),
    # structure
    "zip-local-name-differs": Case(
        lambda: basic_zip(zfile("safe.py", local_name=b"evil.py")), "zip", R.STRUCTURE_MISMATCH
    ),
    "zip-local-method-differs": Case(
        lambda: basic_zip(zfile("m.py", local_method=0)), "zip", R.STRUCTURE_MISMATCH
    ),
    "zip-local-size-differs": Case(
        lambda: basic_zip(zfile("m.py", local_usize=5)), "zip", R.STRUCTURE_MISMATCH
    ),
    "zip-local-flags-differ": Case(
        lambda: basic_zip(zfile("m.py", local_flags=0x800)), "zip", R.STRUCTURE_MISMATCH
    ),
    "zip-descriptor-mismatch": Case(
        lambda: basic_zip(zfile("m.py", descriptor=True, descriptor_crc=1234)),
        "zip",
        R.STRUCTURE_MISMATCH,
    ),
    "zip-directory-count-short": Case(lambda: basic_zip(count=1), "zip", R.STRUCTURE_MISMATCH),
    "zip-hidden-gap": Case(
        lambda: basic_zip(zfile("m.py"), between=b"hidden payload"), "zip", R.STRUCTURE_MISMATCH
    ),
    "zip-unicode-path-conflict": Case(
        lambda: basic_zip(
            zfile(
                "safe.py", cd_extra=struct.pack("<HHB", 0x7075, 5 + 7, 1) + b"\0" * 4 + b"evil.py"
            )
        ),
        "zip",
        R.STRUCTURE_MISMATCH,
    ),
    "zip-mode-dir-name-file": Case(
        lambda: basic_zip(zfile("pkg", b"", mode=0o040755)), "zip", R.STRUCTURE_MISMATCH
    ),
    "zip-comment-with-eocd": Case(
        lambda: basic_zip(comment=b"PK\x05\x06" + bytes(18)), "zip", R.STRUCTURE_MISMATCH
    ),
    # data around the archive
    "zip-prepended-adjusted": Case(
        lambda: basic_zip(prepend=b"#!/bin/sh\nexit 0\n"), "zip", R.PREPENDED_DATA
    ),
    "zip-prepended-cat": Case(
        lambda: basic_zip(prepend=b"MZ" + bytes(500), adjust=False), None, R.PREPENDED_DATA
    ),
    "zip-trailing": Case(lambda: basic_zip(append=b"trailing junk"), "zip", R.TRAILING_DATA),
    "zip-trailing-zip": Case(lambda: basic_zip(append=basic_zip()), "zip", R.TRAILING_DATA),
    "zip-gap-before-end": Case(lambda: basic_zip(cd_gap=b"xxxx"), "zip", R.TRAILING_DATA),
    # corruption
    "zip-truncated": Case(lambda: basic_zip()[:-30], "zip", R.CORRUPT),
    "zip-truncated-start": Case(lambda: basic_zip()[:40], "zip", R.CORRUPT),
    "zip-crc": Case(lambda: basic_zip(zfile("m.py", crc=0xDEADBEEF)), "zip", R.CORRUPT),
    "zip-bad-deflate": Case(
        lambda: basic_zip(zfile("m.py", b"hello", payload=b"\xff\xff\xff\xff")), "zip", R.CORRUPT
    ),
    "zip-lying-usize": Case(
        lambda: basic_zip(zfile("m.py", b"a" * 5000, usize=100)), "zip", R.CORRUPT
    ),
    "zip-short-stream": Case(
        lambda: basic_zip(zfile("m.py", b"a" * 50, usize=40, crc=zlib.crc32(b"a" * 40))),
        "zip",
        R.CORRUPT,
    ),
    "zip-deflate-ends-early": Case(
        lambda: basic_zip(Z(name="m.py", data=b"abc", payload=deflate(b"abc") + b"hidden")),
        "zip",
        R.STRUCTURE_MISMATCH,
    ),
    "zip-empty-file": Case(lambda: b"", "zip", R.CORRUPT),
    "zip-unknown-flags": Case(lambda: basic_zip(zfile("m.py", flags=0x1000)), "zip", R.CORRUPT),
    # format
    "zip-is-targz": Case(lambda: basic_tar(), "zip", R.FORMAT_MISMATCH),
    "zip-is-plain-tar": Case(lambda: tfile("a.py") + TAR_END, "zip", R.FORMAT_MISMATCH),
    "zip-is-text": Case(lambda: b"just some text\n" * 10, "zip", R.FORMAT_MISMATCH),
    "zip-multi-disk": Case(
        lambda: (
            basic_zip()[:-22]
            + struct.pack(
                "<4s4H2LH", b"PK\x05\x06", 1, 1, 2, 2, *struct.unpack("<2L", basic_zip()[-10:-2]), 0
            )
        ),
        "zip",
        R.FORMAT_MISMATCH,
    ),
}


def tar_size_conflict() -> bytes:
    return basic_tar(tpax((b"size", b"3")), tfile("m.py", b"print(1)\n"))


TAR_CASES: dict[str, Case] = {
    # limits
    "tar-archive-too-large": Case(
        lambda: basic_tar(tfile("seed.bin", noise(70_000))), "tar.gz", R.TOO_LARGE, SMALL
    ),
    "tar-entry-too-large": Case(
        lambda: basic_tar(tfile("seed.bin", noise(4000))), "tar.gz", R.TOO_LARGE, SMALL
    ),
    "tar-total-too-large": Case(
        lambda: basic_tar(*(tfile(f"s{i}.bin", noise(2500, i)) for i in range(3))),
        "tar.gz",
        R.TOO_LARGE,
        SMALL,
    ),
    "tar-too-many-entries": Case(
        lambda: basic_tar(*(tfile(f"m{i}.py") for i in range(4))),
        "tar.gz",
        R.TOO_MANY_ENTRIES,
        SMALL,
    ),
    "tar-huge-pax": Case(
        lambda: basic_tar(tpax((b"comment", b"x" * 70_000)), tfile("m.py")),
        "tar.gz",
        R.TOO_LARGE,
    ),
    # bombs
    "tar-ratio": Case(
        lambda: basic_tar(tfile("zeros.txt", bytes(4 * MiB))), "tar.gz", R.BOMB_RATIO
    ),
    "tar-declared-size": Case(
        lambda: basic_tar(
            tar_header("big.bin", size_field=b"\x80" + (2**40).to_bytes(11, "big")) + bytes(BLOCK)
        ),
        "tar.gz",
        R.BOMB_DECLARED_SIZE,
    ),
    # nesting
    "tar-nested-by-name": Case(
        lambda: basic_tar(tfile("inner.tar", b"data")), "tar.gz", R.NESTED_ARCHIVE
    ),
    "tar-nested-tgz": Case(lambda: basic_tar(tfile("a.tgz", b"data")), "tar.gz", R.NESTED_ARCHIVE),
    "tar-nested-by-content": Case(
        lambda: basic_tar(tfile("seed.bin", basic_tar())), "tar.gz", R.NESTED_ARCHIVE
    ),
    "tar-nested-tar-content": Case(
        lambda: basic_tar(tfile("seed.bin", tfile("x.py") + TAR_END)), "tar.gz", R.NESTED_ARCHIVE
    ),
    "tar-nested-xz-content": Case(
        lambda: basic_tar(tfile("seed.bin", b"\xfd7zXZ\x00" + bytes(50))),
        "tar.gz",
        R.NESTED_ARCHIVE,
    ),
    # paths
    "tar-dotdot": Case(lambda: basic_tar(tfile("../evil.py")), "tar.gz", R.PATH_TRAVERSAL),
    "tar-absolute": Case(lambda: basic_tar(tfile("/tmp/dfab-escape")), "tar.gz", R.PATH_TRAVERSAL),
    "tar-pax-dotdot": Case(
        lambda: basic_tar(tpax((b"path", b"../../tmp/dfab-escape.py")), tfile("safe.py")),
        "tar.gz",
        R.PATH_TRAVERSAL,
    ),
    "tar-longname-dotdot": Case(
        lambda: basic_tar(tlong("../" + "a" * 200 + ".py"), tfile("././@LongLink", gnu=True)),
        "tar.gz",
        R.PATH_TRAVERSAL,
    ),
    "tar-prefix-dotdot": Case(
        lambda: basic_tar(tfile("evil.py", prefix=b"..")), "tar.gz", R.PATH_TRAVERSAL
    ),
    "tar-backslash": Case(lambda: basic_tar(tfile("..\\evil.py")), "tar.gz", R.PATH_TRAVERSAL),
    # types and modes
    "tar-symlink": Case(
        lambda: basic_tar(tar_header("link", typeflag=b"2", linkname=b"/etc/passwd")),
        "tar.gz",
        R.LINK,
    ),
    "tar-hardlink": Case(
        lambda: basic_tar(tar_header("hard", typeflag=b"1", linkname=b"generate.py")),
        "tar.gz",
        R.LINK,
    ),
    "tar-gnu-longlink": Case(
        lambda: basic_tar(
            tar_header("././@LongLink", size=4, typeflag=b"K", gnu=True) + pad(b"/etc"),
            tar_header("link", typeflag=b"2", gnu=True),
        ),
        "tar.gz",
        R.LINK,
    ),
    "tar-chardev": Case(
        lambda: basic_tar(tar_header("null", typeflag=b"3")), "tar.gz", R.SPECIAL_FILE
    ),
    "tar-blockdev": Case(
        lambda: basic_tar(tar_header("sda", typeflag=b"4")), "tar.gz", R.SPECIAL_FILE
    ),
    "tar-fifo": Case(lambda: basic_tar(tar_header("p", typeflag=b"6")), "tar.gz", R.SPECIAL_FILE),
    "tar-setuid": Case(
        lambda: basic_tar(tfile("run.sh", b"#!/bin/sh\n", mode=0o4755)), "tar.gz", R.PERMISSIONS
    ),
    "tar-setgid": Case(
        lambda: basic_tar(tfile("run.sh", b"#!/bin/sh\n", mode=0o2755)), "tar.gz", R.PERMISSIONS
    ),
    "tar-sticky-dir": Case(
        lambda: basic_tar(tar_header("tmp/", typeflag=b"5", mode=0o1777)),
        "tar.gz",
        R.PERMISSIONS,
    ),
    # names
    "tar-duplicate-overwrite": Case(
        lambda: basic_tar(tfile("generate.py", b"import os; os.system('evil')\n")),
        "tar.gz",
        R.NAME_COLLISION,
    ),
    "tar-case": Case(lambda: basic_tar(tfile("Generate.py")), "tar.gz", R.NAME_COLLISION),
    "tar-root-twice": Case(
        lambda: tgz(tdir("./"), tfile("./harness.toml"), tdir("./")), "tar.gz", R.NAME_COLLISION
    ),
    "tar-file-then-dir": Case(
        lambda: basic_tar(tfile("pkg"), tdir("pkg/")), "tar.gz", R.NAME_COLLISION
    ),
    "tar-pax-nul": Case(
        lambda: basic_tar(tpax((b"path", b"a\x00b.py")), tfile("x.py")), "tar.gz", R.BAD_NAME
    ),
    "tar-non-utf8": Case(lambda: basic_tar(tfile(b"\xe9t\xe9.py")), "tar.gz", R.BAD_NAME),
    "tar-control": Case(lambda: basic_tar(tfile("a\x1bb.py")), "tar.gz", R.BAD_NAME),
    "tar-empty-name": Case(lambda: basic_tar(tfile(b"")), "tar.gz", R.BAD_NAME),
    "tar-huge-longname": Case(
        lambda: basic_tar(tlong("a" * 5000), tfile("x.py")), "tar.gz", R.BAD_NAME
    ),
    # ambiguity
    "tar-pax-global": Case(
        lambda: basic_tar(tpax((b"path", b"x.py"), typeflag=b"g"), tfile("a.py")),
        "tar.gz",
        R.TAR_AMBIGUOUS,
    ),
    "tar-pax-size-conflict": Case(tar_size_conflict, "tar.gz", R.TAR_AMBIGUOUS),
    "tar-two-longnames": Case(
        lambda: basic_tar(tlong("a.py"), tlong("b.py"), tfile("x.py")), "tar.gz", R.TAR_AMBIGUOUS
    ),
    "tar-longname-and-pax": Case(
        lambda: basic_tar(tlong("a.py"), tpax((b"path", b"b.py")), tfile("x.py")),
        "tar.gz",
        R.TAR_AMBIGUOUS,
    ),
    "tar-two-pax": Case(
        lambda: basic_tar(tpax((b"path", b"a.py")), tpax((b"path", b"b.py")), tfile("x.py")),
        "tar.gz",
        R.TAR_AMBIGUOUS,
    ),
    "tar-data-after-end": Case(
        lambda: basic_tar(end=TAR_END + tfile("hidden.py")), "tar.gz", R.TAR_AMBIGUOUS
    ),
    "tar-sparse": Case(
        lambda: basic_tar(tar_header("sp", typeflag=b"S", gnu=True)), "tar.gz", R.TAR_AMBIGUOUS
    ),
    "tar-pax-sparse": Case(
        lambda: basic_tar(tpax((b"GNU.sparse.major", b"1")), tfile("x.py")),
        "tar.gz",
        R.TAR_AMBIGUOUS,
    ),
    "tar-pax-duplicate-key": Case(
        lambda: basic_tar(tpax((b"path", b"a.py"), (b"path", b"b.py")), tfile("x.py")),
        "tar.gz",
        R.TAR_AMBIGUOUS,
    ),
    "tar-file-trailing-slash": Case(
        lambda: basic_tar(tfile("looks/like/dir/", b"")), "tar.gz", R.TAR_AMBIGUOUS
    ),
    "tar-dir-with-data": Case(
        lambda: basic_tar(tar_header("d/", typeflag=b"5", size=512) + bytes(512)),
        "tar.gz",
        R.TAR_AMBIGUOUS,
    ),
    "tar-unknown-type": Case(
        lambda: basic_tar(tar_header("u", typeflag=b"Z")), "tar.gz", R.TAR_AMBIGUOUS
    ),
    "tar-pax-linkpath-on-file": Case(
        lambda: basic_tar(tpax((b"linkpath", b"/etc/passwd")), tfile("x.py")),
        "tar.gz",
        R.TAR_AMBIGUOUS,
    ),
    "tar-pax-binary-charset": Case(
        lambda: basic_tar(tpax((b"hdrcharset", b"BINARY")), tfile("x.py")),
        "tar.gz",
        R.TAR_AMBIGUOUS,
    ),
    "tar-pax-then-end": Case(
        lambda: basic_tar(tpax((b"path", b"a.py"))), "tar.gz", R.TAR_AMBIGUOUS
    ),
    "tar-mode-type-conflict": Case(
        lambda: basic_tar(tfile("x.py", mode=0o040755)), "tar.gz", R.TAR_AMBIGUOUS
    ),
    # corruption
    "tar-checksum": Case(lambda: basic_tar(tfile("x.py", checksum_delta=1)), "tar.gz", R.CORRUPT),
    "tar-bad-octal": Case(
        lambda: basic_tar(tar_header("x.py", size_field=b"12x45678901\0")), "tar.gz", R.CORRUPT
    ),
    "tar-no-end-marker": Case(lambda: basic_tar(end=b""), "tar.gz", R.CORRUPT),
    "tar-truncated-data": Case(
        lambda: tgz(tar_header("x.py", size=5000) + b"abc", end=b""), "tar.gz", R.CORRUPT
    ),
    "tar-truncated-gzip": Case(lambda: basic_tar()[:-12], "tar.gz", R.CORRUPT),
    "tar-gzip-crc": Case(
        lambda: basic_tar()[:-8] + b"\0\0\0\0" + basic_tar()[-4:], "tar.gz", R.CORRUPT
    ),
    "tar-bad-magic-later": Case(
        lambda: basic_tar(tar_header("x.py", magic=b"nope\0\0\0\0")), "tar.gz", R.CORRUPT
    ),
    # data around the archive
    "tar-trailing-garbage": Case(lambda: basic_tar() + b"garbage", "tar.gz", R.TRAILING_DATA),
    "tar-trailing-zip": Case(lambda: basic_tar() + basic_zip(), "tar.gz", R.TRAILING_DATA),
    "tar-trailing-zero": Case(lambda: basic_tar() + bytes(1), "tar.gz", R.TRAILING_DATA),
    # format
    "tar-plain": Case(lambda: tfile("a.py") + TAR_END, "tar.gz", R.FORMAT_MISMATCH),
    "tar-plain-detected": Case(lambda: tfile("a.py") + TAR_END, None, R.FORMAT_MISMATCH),
    "tar-is-zip": Case(lambda: basic_zip(), "tar.gz", R.FORMAT_MISMATCH),
    "tar-gzip-not-tar": Case(
        lambda: gzip.compress(b"print('hello')\n" * 50), "tar.gz", R.FORMAT_MISMATCH
    ),
    "tar-gzip-empty": Case(lambda: gzip.compress(b""), "tar.gz", R.FORMAT_MISMATCH),
    "tar-v7": Case(lambda: tgz(tfile("a.py", magic=bytes(8))), "tar.gz", R.FORMAT_MISMATCH),
    "tar-bzip2": Case(
        lambda: __import__("bz2").compress(tfile("a.py") + TAR_END), "tar.gz", R.FORMAT_MISMATCH
    ),
    "tar-bzip2-detected": Case(
        lambda: __import__("bz2").compress(tfile("a.py") + TAR_END), None, R.FORMAT_MISMATCH
    ),
    "random-detected": Case(lambda: noise(3000), None, R.FORMAT_MISMATCH),
}

ALL_CASES = {**ZIP_CASES, **TAR_CASES}


@pytest.mark.parametrize("case_id", sorted(ALL_CASES))
def test_rejected(case_id: str, jail: Path) -> None:
    case = ALL_CASES[case_id]
    err = assert_rejected(jail, case.build(), case.fmt, case.expected, case.settings)
    assert len(err.reason.message) > 20


def test_every_archive_reason_class_is_covered() -> None:
    not_archive = {
        R.MANIFEST_INVALID,
        R.DEPENDENCY_NOT_ALLOWED,
        R.REVIEW_CRITICAL,
        R.PLAGIARISM,
        R.CHECKSUM_MISMATCH,
    }
    contract = set(list(R)[: list(R).index(R.PLAGIARISM) + 1]) - not_archive
    covered = {c.expected for c in ALL_CASES.values()}
    assert contract - covered == set()
    zip_only = {R.BOMB_OVERLAP, R.ENCRYPTED, R.UNSUPPORTED_COMPRESSION, R.STRUCTURE_MISMATCH}
    zip_only.add(R.PREPENDED_DATA)
    for fmt, expected in (("zip", contract - {R.TAR_AMBIGUOUS}), ("tar.gz", contract - zip_only)):
        per_format = {c.expected for c in ALL_CASES.values() if c.fmt in (fmt, None)}
        assert expected - per_format == set(), fmt


# ----------------------------------------------------------------------------- bombs


def test_overlap_bomb_declaring_over_a_terabyte(jail: Path) -> None:
    bomb, declared = overlap_bomb()
    assert declared > 10**12
    assert len(bomb) < DEFAULT.max_archive_bytes
    # It is a real bomb: a naive reader inflates entry 0 into later headers, then zeros.
    entry0 = bomb[30 + 9 :]
    head = zlib.decompressobj(-15).decompress(entry0, 4 * MiB)
    assert head.startswith(bomb[39 + 5 : 39 + 5 + 39]) and head[-1000:] == bytes(1000)
    path = jail / "in" / "bomb.zip"
    path.write_bytes(bomb)
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(VerdictError) as caught:
        inspect_archive(path, DEFAULT, declared_format="zip")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert caught.value.reason.reason_class == R.BOMB_OVERLAP
    assert peak < 50 * MiB, peak
    assert elapsed < 2.0
    assert_rejected(jail, bomb, "zip", R.BOMB_OVERLAP)


def test_zero_kernel_is_valid_deflate() -> None:
    out = zlib.decompress(zero_kernel(1000), -15)
    assert out == bytes(1 + 258 * 1000)


def forty_two(levels: int = 3, fanout: int = 16) -> bytes:
    """A 42.zip-shaped tower: each level holds `fanout` copies of the level below."""
    inner = build_zip([zfile("0.dat", bytes(64 * 1024))])
    for level in range(levels):
        inner = build_zip([zfile(f"lib{level}_{i}.zip", inner, method=0) for i in range(fanout)])
    return inner


def test_forty_two_zip_is_nested(jail: Path) -> None:
    err = assert_rejected(jail, forty_two(), "zip", R.NESTED_ARCHIVE)
    assert "lib2_0.zip" in err.reason.message


def test_nested_by_content_even_without_extension(jail: Path) -> None:
    tower = forty_two(levels=1, fanout=2)
    bomb = build_zip([zfile("harness.toml", b"x"), zfile("assets/logo.png", tower, method=0)])
    err = assert_rejected(jail, bomb, "zip", R.NESTED_ARCHIVE)
    assert "logo.png" in err.reason.message


def _measure(fn: Callable[[], object]) -> tuple[BaseException | None, int]:
    tracemalloc.start()
    try:
        fn()
        error = None
    except VerdictError as exc:
        error = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return error, peak


def test_tar_gz_zero_stream_bomb_is_bounded() -> None:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [comp.compress(tfile("harness.toml", b"x") + TAR_END)]
    zeros = bytes(MiB)
    parts += [comp.compress(zeros) for _ in range(256)]  # 256 MiB of "padding" zeros
    parts.append(comp.flush())
    data = b"".join(parts)
    error, peak = _measure(lambda: inspect_bytes(data, DEFAULT, declared_format="tar.gz"))
    assert isinstance(error, VerdictError)
    assert error.reason.reason_class == R.BOMB_RATIO
    assert peak < 50 * MiB


def test_lying_header_bomb_is_bounded() -> None:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = b"".join(comp.compress(bytes(MiB)) for _ in range(64)) + comp.flush()
    data = basic_zip(Z(name="small.txt", payload=payload, usize=1000, crc=0))
    error, peak = _measure(lambda: inspect_bytes(data, DEFAULT, declared_format="zip"))
    assert isinstance(error, VerdictError)
    assert error.reason.reason_class in (R.CORRUPT, R.BOMB_RATIO)
    assert peak < 50 * MiB


def test_zip_ratio_bomb_is_bounded() -> None:
    data = basic_zip(zfile("zeros.txt", bytes(4 * MiB)))
    error, peak = _measure(lambda: inspect_bytes(data, DEFAULT, declared_format="zip"))
    assert isinstance(error, VerdictError) and error.reason.reason_class == R.BOMB_RATIO
    assert peak < 50 * MiB


# ---------------------------------------------------------------- accepted archives


def make_harness(root: Path) -> Path:
    """A realistic harness tree: packages, data, templates, an executable, odd names."""
    rng = random.Random(7)
    root.mkdir(parents=True)
    (root / "harness.toml").write_text(
        '[harness]\nname = "demo"\nversion = "0.1.0"\nentrypoint = "generate.py"\n'
        'description = "demo"\ndependencies = []\n'
    )
    gen = root / "generate.py"
    gen.write_text("#!/usr/bin/env python3\nimport sys\nprint(sys.argv)\n")
    gen.chmod(0o755)
    (root / "README.md").write_text("# Demo harness\n" * 20)
    pkg = root / "fabricator"
    (pkg / "families").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for i in range(12):
        words = " ".join(
            rng.choice(["def", "return", "self", "x", "yield", "if"]) for _ in range(900)
        )
        (pkg / "families" / f"family_{i:02d}.py").write_text(f"# family {i}\n{words}\n")
    data = root / "data"
    data.mkdir()
    lines = [f'{{"id": {i}, "seed": "{rng.randbytes(12).hex()}"}}' for i in range(2000)]
    (data / "seeds.jsonl").write_text("\n".join(lines) + "\n")
    (data / "weights.bin").write_bytes(rng.randbytes(40_000))
    (root / "templates").mkdir()
    (root / "templates" / "prompt.txt").write_text("You are {role}.\n")
    deep = root / ("d" * 70) / ("e" * 70)
    deep.mkdir(parents=True)
    (deep / ("f" * 60 + ".py")).write_text("x = 1\n")
    (root / "donn\u00e9es").mkdir()
    (root / "donn\u00e9es" / "\u00e9t\u00e9.txt").write_text("summer\n")
    (root / "empty").mkdir()
    return root


def snapshot(root: Path) -> dict[str, bytes | None]:
    out: dict[str, bytes | None] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        out[rel] = None if p.is_dir() else p.read_bytes()
    return out


def archive_variants(src: Path, work: Path) -> dict[str, tuple[Path, str]]:
    """The harness as many tools would pack it."""
    variants: dict[str, tuple[Path, str]] = {}
    for fmt in ("zip", "tar.gz"):
        p = work / f"pack.{fmt}"
        p.write_bytes(pack_directory(src, fmt))  # type: ignore[arg-type]
        variants[f"pack-{fmt}"] = (p, fmt)
    for label, method in (("deflated", zipfile.ZIP_DEFLATED), ("stored", zipfile.ZIP_STORED)):
        p = work / f"zipfile-{label}.zip"
        with zipfile.ZipFile(p, "w", method) as zf:
            for f in sorted(src.rglob("*")):
                zf.write(f, f.relative_to(src).as_posix())
        variants[f"zipfile-{label}"] = (p, "zip")
    for label, tar_format in (
        ("gnu", tarfile.GNU_FORMAT),
        ("pax", tarfile.PAX_FORMAT),
    ):
        p = work / f"tarfile-{label}.tar.gz"
        with tarfile.open(p, "w:gz", format=tar_format) as tf:
            tf.add(src, arcname=".")
        variants[f"tarfile-{label}"] = (p, "tar.gz")
    if shutil.which("tar"):
        for label in ("gnu", "posix"):
            p = work / f"cli-{label}.tar.gz"
            made = subprocess.run(
                ["tar", f"--format={label}", "-czf", str(p), "-C", str(src), "."], check=False
            )
            if made.returncode == 0:  # GNU tar; other tars spell formats differently
                variants[f"cli-tar-{label}"] = (p, "tar.gz")
    if shutil.which("zip"):
        p = work / "cli.zip"
        subprocess.run(["zip", "-qr", str(p), "."], cwd=src, check=True)
        variants["cli-zip"] = (p, "zip")
        p = work / "cli-stream.zip"  # zip to a pipe writes data descriptors
        with p.open("wb") as out:
            zipped = subprocess.run(["zip", "-qr", "-", "."], cwd=src, check=True, stdout=-1)
            out.write(zipped.stdout)
        variants["cli-zip-stream"] = (p, "zip")
    return variants


@pytest.fixture(scope="module")
def harness_archives(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    base = tmp_path_factory.mktemp("harness")
    src = make_harness(base / "src")
    work = base / "archives"
    work.mkdir()
    return src, archive_variants(src, work)


def test_realistic_harness_variants_pass_and_extract_identically(
    harness_archives: tuple[Path, dict[str, tuple[Path, str]]], tmp_path: Path
) -> None:
    src, variants = harness_archives
    expected = snapshot(src)
    assert len(variants) >= 6
    for label, (path, fmt) in variants.items():
        listing = inspect_archive(path, DEFAULT, declared_format=fmt)  # type: ignore[arg-type]
        assert listing == inspect_archive(path, DEFAULT)  # detection agrees with the name
        assert listing.format == fmt
        dest = tmp_path / label / "out"
        dest.parent.mkdir()
        assert extract_archive(path, dest, DEFAULT, declared_format=fmt) == listing  # type: ignore[arg-type]
        assert snapshot(dest) == expected, label
        for p in dest.rglob("*"):
            mode = stat.S_IMODE(p.lstat().st_mode)
            assert not p.is_symlink()
            if p.is_dir():
                assert mode == 0o755
            else:
                assert mode == (0o755 if p.name == "generate.py" else 0o644), (label, p, oct(mode))
        assert listing.unpacked_bytes == sum(len(v or b"") for v in expected.values())


def test_macos_data_descriptor_zip_passes(tmp_path: Path) -> None:
    files = {"harness.toml": b"[harness]\n", "generate.py": b"print('mac')\n" * 40}
    entries = [Z(name="h/", method=0, mode=0o040755, made_by=0x0315)]
    for name, data in files.items():
        entries.append(Z(name="h/" + name, data=data, descriptor=True, made_by=0x0315))
        entries.append(
            Z(name="__MACOSX/h/._" + name, data=b"\x00\x05\x16\x07" + bytes(80), descriptor=True)
        )
    data = build_zip(entries)
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None  # standard readers agree
    listing = inspect_bytes(data, DEFAULT, declared_format="zip")
    assert [e.name for e in listing.entries][:2] == ["h", "h/harness.toml"]
    dest = tmp_path / "out"
    extract_bytes(data, dest, DEFAULT, listing)
    assert (dest / "h" / "generate.py").read_bytes() == files["generate.py"]


def test_descriptor_without_signature_and_zip64_pass() -> None:
    data = build_zip(
        [
            Z(name="a.py", data=b"a = 1\n" * 10, descriptor=True, descriptor_sig=False),
            Z(name="b.py", data=b"b = 2\n" * 10, zip64=True),
            Z(name="c.py", data=b"c = 3\n" * 10, zip64=True, descriptor=True),
        ],
        zip64_end=True,
        comment=b"built by hand",
    )
    listing = inspect_bytes(data, DEFAULT, declared_format="zip")
    assert [e.size for e in listing.entries] == [60, 60, 60]


def test_tar_gnu_long_names_and_pax_paths_pass(tmp_path: Path) -> None:
    long_a = "pkg/" + "a" * 150 + ".py"
    long_b = "pkg/" + "b" * 180 + "/\u00e9t\u00e9.py"
    members = [
        tdir("./"),
        tdir("./pkg/"),
        tlong(long_a),
        tfile("././@LongLink", b"A = 1\n", gnu=True),
        tpax(
            (b"path", long_b.encode()),
            (b"size", b"6"),
            (b"mtime", b"1700000000.5"),
            (b"SCHILY.xattr.user.note", b"hi"),
            (b"LIBARCHIVE.xattr.com.apple.provenance", b"AQ=="),
        ),
        tfile("PaxHeaders/ignored", b"B = 2\n"),
        tfile("mod.py", b"C = 3\n", prefix=b"pkg/" + b"c" * 120),
    ]
    data = tgz(*members)
    listing = inspect_bytes(data, DEFAULT, declared_format="tar.gz")
    names = [e.name for e in listing.entries]
    assert names == ["pkg", long_a, long_b, "pkg/" + "c" * 120 + "/mod.py"]
    dest = tmp_path / "out"
    extract_bytes(data, dest, DEFAULT, listing)
    assert (dest / long_b).read_bytes() == b"B = 2\n"
    # tarfile agrees with what we extracted
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        assert {m.name for m in tf.getmembers()} >= {long_a, long_b}


def test_multi_member_gzip_passes() -> None:
    raw_tar = tfile("harness.toml", b"x") + tfile("generate.py") + TAR_END
    data = gzip.compress(raw_tar[:700], mtime=0) + gzip.compress(raw_tar[700:], mtime=0)
    listing = inspect_bytes(data, DEFAULT, declared_format="tar.gz")
    assert [e.name for e in listing.entries] == ["harness.toml", "generate.py"]


def test_listing_fields(tmp_path: Path) -> None:
    data = basic_zip(zdir("pkg/"), zfile("pkg/run.sh", b"#!/bin/sh\n", mode=0o100775))
    listing = inspect_bytes(data, DEFAULT, declared_format="zip")
    assert isinstance(listing, ArchiveListing)
    assert listing.format == "zip" and listing.archive_bytes == len(data)
    import hashlib

    assert listing.sha256 == hashlib.sha256(data).hexdigest()
    assert ArchiveEntry("pkg", 0, True, 0o755) in listing.entries
    assert ArchiveEntry("pkg/run.sh", 10, False, 0o755) in listing.entries
    assert listing.to_dict()["entries"][0]["name"] == "harness.toml"


# ------------------------------------------------------------------- extraction guards


def test_extraction_refuses_entries_missing_from_listing(tmp_path: Path) -> None:
    data = basic_zip(zfile("extra.py"))
    listing = inspect_bytes(data, DEFAULT, declared_format="zip")
    forged = ArchiveListing(
        format="zip",
        entries=listing.entries[:-1],
        unpacked_bytes=0,
        sha256=listing.sha256,
        archive_bytes=listing.archive_bytes,
    )
    dest = tmp_path / "out"
    with pytest.raises(VerdictError) as caught:
        extract_bytes(data, dest, DEFAULT, forged)
    assert caught.value.reason.reason_class == R.STRUCTURE_MISMATCH
    assert not dest.exists()


def test_extraction_refuses_size_changes(tmp_path: Path) -> None:
    data = basic_tar(tfile("extra.py", b"abc"))
    listing = inspect_bytes(data, DEFAULT, declared_format="tar.gz")
    entries = list(listing.entries)
    entries[-1] = ArchiveEntry("extra.py", 2, False, 0o644)
    forged = ArchiveListing("tar.gz", tuple(entries), 0, listing.sha256, listing.archive_bytes)
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(VerdictError):
        extract_bytes(data, dest, DEFAULT, forged)
    assert dest.is_dir() and not any(dest.iterdir())  # caller's empty dir is emptied, kept


def test_destination_must_be_fresh(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(basic_zip())
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        extract_archive(path, busy, DEFAULT)
    assert (busy / "keep.txt").read_text() == "mine"
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    with pytest.raises((ValueError, OSError)):
        extract_archive(path, link, DEFAULT)
    assert not (tmp_path / "elsewhere").exists()


def test_extraction_modes_are_normalized(tmp_path: Path) -> None:
    data = basic_zip(zfile("tool.sh", b"#!/bin/sh\n", mode=0o100777), zfile("w.txt", mode=0o100666))
    path = tmp_path / "a.zip"
    path.write_bytes(data)
    dest = tmp_path / "out"
    old = os.umask(0)
    try:
        extract_archive(path, dest, DEFAULT)
    finally:
        os.umask(old)
    assert stat.S_IMODE((dest / "tool.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((dest / "w.txt").stat().st_mode) == 0o644


def test_declared_format_must_be_known() -> None:
    with pytest.raises(ValueError):
        inspect_bytes(basic_zip(), DEFAULT, declared_format="rar")  # type: ignore[arg-type]


def test_empty_zip_is_an_empty_listing() -> None:
    listing = inspect_bytes(build_zip([]), DEFAULT, declared_format="zip")
    assert listing.entries == () and listing.unpacked_bytes == 0


def test_archive_path_must_be_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "upload.zip"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        inspect_archive(fifo, DEFAULT)  # must not block waiting for a writer
