"""`pack_directory`: a reproducible harness archive that passes our own checks.

Same directory content gives the same bytes (sorted entries, fixed timestamps, fixed
modes, no owners, no extra fields), so a miner can sign and re-create an upload and
validators can compare hashes. The writer is ours rather than zipfile's so its output
is exactly the strict layout `zipcheck` accepts.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dfab.contracts.reasons import ReasonClass, VerdictError

from .models import ArchiveFormat
from .modes import DIR_MODE, EXEC_MODE, FILE_MODE
from .names import NameRegistry, normalize_name, show
from .nested import SNIFF_BYTES, check_nested_content, check_nested_name

#: Names never packed: caches, VCS data, virtualenvs, Finder metadata.
SKIPPED_DIRS = frozenset({"__pycache__", ".git"})
SKIPPED_FILES = frozenset({".DS_Store", ".git"})

_DOS_DATE_1980 = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME_0 = 0
_MADE_BY_UNIX = (3 << 8) | 20
_NEEDED = 20
_UTF8_FLAG = 0x0800
_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_MAX32 = 0xFFFFFFFF


class PackError(ValueError):
    """The directory cannot be packed as a valid harness; `reason_class` says why."""

    def __init__(self, reason_class: ReasonClass, message: str) -> None:
        super().__init__(message)
        self.reason_class = reason_class


@dataclass(frozen=True, slots=True)
class _Item:
    name: str  # relative POSIX path, no trailing slash
    is_dir: bool
    mode: int
    data: bytes


def _skipped(name: str, is_dir: bool) -> bool:
    if name.startswith(".venv"):
        return True
    if is_dir:
        return name in SKIPPED_DIRS
    return name in SKIPPED_FILES or name.endswith(".pyc")


def _sort_key(entry: os.DirEntry[str]) -> bytes:
    return os.fsencode(entry.name)


def _collect(src: Path) -> list[_Item]:
    if not src.is_dir():
        raise PackError(ReasonClass.BAD_NAME, f"{src} is not a directory")
    items: list[_Item] = []
    registry = NameRegistry()

    def walk(directory: Path, prefix: str) -> None:
        with os.scandir(directory) as it:
            children = sorted(it, key=_sort_key)
        for child in children:
            info = child.stat(follow_symlinks=False)
            is_dir = stat.S_ISDIR(info.st_mode)
            if _skipped(child.name, is_dir):
                continue
            rel = prefix + child.name
            if stat.S_ISLNK(info.st_mode):
                raise PackError(
                    ReasonClass.LINK,
                    f"{rel} is a symbolic link; archives may hold only regular files and "
                    "directories: copy the file it points to instead",
                )
            if not is_dir and not stat.S_ISREG(info.st_mode):
                raise PackError(
                    ReasonClass.SPECIAL_FILE,
                    f"{rel} is not a regular file or directory (device, FIFO or socket); remove it",
                )
            try:
                name = normalize_name(os.fsencode(rel), is_dir=is_dir) or rel
                registry.add(name, is_dir=is_dir)
                if not is_dir:
                    check_nested_name(name)
            except VerdictError as exc:
                raise PackError(exc.reason.reason_class, exc.reason.message) from exc
            if is_dir:
                items.append(_Item(name, True, DIR_MODE, b""))
                walk(Path(child.path), rel + "/")
                continue
            data = Path(child.path).read_bytes()
            try:
                check_nested_content(name, data[:SNIFF_BYTES])
            except VerdictError as exc:
                raise PackError(exc.reason.reason_class, exc.reason.message) from exc
            mode = EXEC_MODE if info.st_mode & 0o111 else FILE_MODE
            items.append(_Item(name, False, mode, data))

    walk(src, "")
    return items


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _zip(items: list[_Item]) -> bytes:
    out = io.BytesIO()
    central: list[bytes] = []
    for item in items:
        raw_name = (item.name + "/" if item.is_dir else item.name).encode("utf-8")
        flags = 0 if raw_name.isascii() else _UTF8_FLAG
        method = 0 if item.is_dir else 8
        payload = b"" if item.is_dir else _deflate(item.data)
        crc = zlib.crc32(item.data)
        offset = out.tell()
        if max(offset, len(payload), len(item.data)) >= _MAX32 or len(items) >= 0xFFFF:
            raise PackError(ReasonClass.TOO_LARGE, f"{show(item.name)}: the harness is too large")
        out.write(
            _LOCAL.pack(
                b"PK\x03\x04",
                _NEEDED,
                flags,
                method,
                _DOS_TIME_0,
                _DOS_DATE_1980,
                crc,
                len(payload),
                len(item.data),
                len(raw_name),
                0,
            )
        )
        out.write(raw_name)
        out.write(payload)
        kind = stat.S_IFDIR if item.is_dir else stat.S_IFREG
        external = ((kind | item.mode) << 16) | (0x10 if item.is_dir else 0)
        central.append(
            _CENTRAL.pack(
                b"PK\x01\x02",
                _MADE_BY_UNIX,
                _NEEDED,
                flags,
                method,
                _DOS_TIME_0,
                _DOS_DATE_1980,
                crc,
                len(payload),
                len(item.data),
                len(raw_name),
                0,
                0,
                0,
                0,
                external,
                offset,
            )
            + raw_name
        )
    cd_offset = out.tell()
    directory = b"".join(central)
    out.write(directory)
    count = len(items)
    out.write(_END.pack(b"PK\x05\x06", 0, 0, count, count, len(directory), cd_offset, 0))
    return out.getvalue()


def _tar_gz(items: list[_Item]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8") as tar:
        for item in items:
            info = tarfile.TarInfo(item.name)
            info.type = tarfile.DIRTYPE if item.is_dir else tarfile.REGTYPE
            info.mode = item.mode
            info.size = len(item.data)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(item.data) if not item.is_dir else None)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(raw.getvalue()) + compressor.flush()


def pack_directory(src: Path, fmt: Literal["zip", "tar.gz"] = "zip") -> bytes:
    """Pack `src` (a harness directory) reproducibly; raises `PackError` on what we refuse.

    Skips `__pycache__`, `*.pyc`, `.git`, `.venv*` and `.DS_Store`; refuses symlinks,
    special files and names the archive checks would reject.
    """
    chosen: ArchiveFormat = fmt
    items = _collect(src)
    if chosen == "zip":
        return _zip(items)
    if chosen == "tar.gz":
        return _tar_gz(items)
    raise ValueError(f"unknown archive format {fmt!r}; use 'zip' or 'tar.gz'")
