"""`extract_archive`: write an inspected archive into a fresh directory, checking again.

Inspection passes first; then the same walker runs again over the same in-memory
snapshot, with a writer that refuses any entry not exactly in the listing. Files are
created relative to directory descriptors with O_NOFOLLOW | O_EXCL, parents are made
here (never by path strings), links are never created or followed, and modes are set
explicitly. Any failure removes everything extracted so far.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from dfab.contracts.reasons import ReasonClass, VerdictError
from dfab.settings import ArchiveSettings

from .check import inspect_bytes, walk_archive
from .models import ArchiveEntry, ArchiveFormat, ArchiveListing
from .modes import DIR_MODE
from .names import show
from .source import read_archive

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_CACHED_DIRS = 64


def _changed(message: str) -> VerdictError:
    return VerdictError(
        ReasonClass.STRUCTURE_MISMATCH,
        f"{message}: the archive reads differently on a second pass; re-create it",
    )


class _Writer:
    """An `EntrySink` that writes under one directory descriptor, checked against a listing."""

    def __init__(self, root_fd: int, expected: Sequence[ArchiveEntry], settings: ArchiveSettings):
        self._root = root_fd
        self._expected = expected
        self._settings = settings
        self._dirs: dict[str, int] = {}
        self._index = 0
        self._fd = -1
        self._written = 0
        self._total = 0

    def __enter__(self) -> _Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._drop_dirs()

    def _drop_dirs(self) -> None:
        for fd in self._dirs.values():
            os.close(fd)
        self._dirs.clear()

    def _directory(self, path: str) -> int:
        """Descriptor of directory `path` under the root, creating missing components."""
        if not path:
            return self._root
        cached = self._dirs.get(path)
        if cached is not None:
            return cached
        if len(self._dirs) >= _MAX_CACHED_DIRS:
            self._drop_dirs()
        parent_path, _, leaf = path.rpartition("/")
        parent = self._directory(parent_path)
        created = True
        try:
            os.mkdir(leaf, DIR_MODE, dir_fd=parent)
        except FileExistsError:
            created = False
        fd = os.open(leaf, _DIR_FLAGS, dir_fd=parent)  # O_NOFOLLOW: a link fails here
        if created:
            os.fchmod(fd, DIR_MODE)
        self._dirs[path] = fd
        return fd

    def begin(self, entry: ArchiveEntry) -> None:
        if self._index >= len(self._expected) or self._expected[self._index] != entry:
            raise _changed(f"entry {show(entry.name)} was not in the inspected listing")
        self._index += 1
        if entry.is_dir:
            os.fchmod(self._directory(entry.name), DIR_MODE)
            return
        parent_path, _, leaf = entry.name.rpartition("/")
        parent = self._directory(parent_path)
        self._fd = os.open(leaf, _FILE_FLAGS, 0o600, dir_fd=parent)
        self._written = 0

    def write(self, data: bytes | memoryview) -> None:
        entry = self._expected[self._index - 1]
        self._written += len(data)
        self._total += len(data)
        if self._written > entry.size or self._total > self._settings.max_unpacked_bytes:
            raise _changed(f"entry {show(entry.name)} grew past its inspected size")
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def end(self, entry: ArchiveEntry) -> None:
        if entry.is_dir:
            return
        if self._written != entry.size:
            raise _changed(f"entry {show(entry.name)} differs from its inspected size")
        os.fchmod(self._fd, entry.mode)
        os.close(self._fd)
        self._fd = -1

    def finish(self) -> None:
        if self._index != len(self._expected):
            missing = self._expected[self._index].name
            raise _changed(f"entry {show(missing)} from the inspected listing is missing")


def _prepare(dest: Path) -> bool:
    """Make `dest` (or accept it empty); returns whether it was created here."""
    try:
        dest.mkdir(mode=DIR_MODE)
        return True
    except FileExistsError:
        info = os.lstat(dest)
        if not stat.S_ISDIR(info.st_mode):
            raise ValueError(f"extraction target {dest} exists and is not a directory") from None
        with os.scandir(dest) as it:
            if next(it, None) is not None:
                raise ValueError(f"extraction target {dest} is not empty") from None
        return False


def _clean(dest: Path, created: bool) -> None:
    if created:
        shutil.rmtree(dest, ignore_errors=True)
        return
    with os.scandir(dest) as it:
        children = list(it)
    for child in children:
        if child.is_dir(follow_symlinks=False):
            shutil.rmtree(child.path, ignore_errors=True)
        else:
            Path(child.path).unlink()


def extract_bytes(
    data: bytes, dest: Path, settings: ArchiveSettings, listing: ArchiveListing
) -> None:
    """Write an already inspected snapshot; every entry must match `listing`."""
    created = _prepare(dest)
    try:
        root_fd = os.open(dest, _DIR_FLAGS)
        try:
            with _Writer(root_fd, listing.entries, settings) as writer:
                walk_archive(listing.format, data, settings, writer)
                writer.finish()
        finally:
            os.close(root_fd)
    except BaseException:
        _clean(dest, created)
        raise


def extract_archive(
    path: Path,
    dest: Path,
    settings: ArchiveSettings,
    *,
    declared_format: ArchiveFormat | None = None,
) -> ArchiveListing:
    """Inspect, then extract into `dest` (created, or existing and empty).

    Raises `VerdictError` on a rejected archive (nothing is left in `dest`), and
    `ValueError` if `dest` is not usable.
    """
    data = read_archive(path, settings)
    listing = inspect_bytes(data, settings, declared_format=declared_format)
    extract_bytes(data, dest, settings, listing)
    return listing
