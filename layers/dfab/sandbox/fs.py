"""Filesystem helpers for directories untrusted code has written to.

Whatever a harness leaves behind is hostile: a path component may be a symlink, the
output may be a FIFO (opening it would block) or a device. Every helper here walks
with `O_NOFOLLOW` from a directory file descriptor and never follows a link.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class NotRegularFile(Exception):
    """The path is missing, a link, a FIFO, a device, or goes through a link."""


@contextlib.contextmanager
def open_regular(base: Path, relative: str) -> Iterator[int]:
    """Open `base/relative` read-only, refusing links at every step and non-regular files.

    Yields the fd; the caller reads it (the file cannot change kind once opened).
    """
    parts = PurePosixPath(relative).parts
    if not parts or any(p in ("..", "/", ".") for p in parts):
        raise NotRegularFile(f"{relative!r} is not a plain relative path")
    fds: list[int] = []
    try:
        try:
            fds.append(os.open(base, _DIR_FLAGS))
            for part in parts[:-1]:
                fds.append(os.open(part, _DIR_FLAGS, dir_fd=fds[-1]))
            fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=fds[-1])
        except FileNotFoundError as exc:
            raise NotRegularFile(f"{relative} does not exist") from exc
        except OSError as exc:
            raise NotRegularFile(f"{relative} cannot be opened safely: {exc.strerror}") from exc
        fds.append(fd)
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(f"{relative} is not a regular file ({_kind(mode)})")
        yield fd
    finally:
        for fd in reversed(fds):
            os.close(fd)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISLNK, "a symlink"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def regular_file_size(base: Path, relative: str) -> int | None:
    """Size of a regular file reached without links, else None (missing or not regular)."""
    try:
        with open_regular(base, relative) as fd:
            return os.fstat(fd).st_size
    except NotRegularFile:
        return None


def copy_regular(base: Path, relative: str, dest: Path, *, max_bytes: int) -> int:
    """Copy a regular file (no links followed) to `dest`; at most `max_bytes` are read."""
    with open_regular(base, relative) as fd:
        os.set_blocking(fd, True)
        copied = 0
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("wb") as out:
            while copied < max_bytes:
                chunk = os.read(fd, min(1 << 20, max_bytes - copied))
                if not chunk:
                    break
                out.write(chunk)
                copied += len(chunk)
        return copied


def tree_usage(root: Path, *, max_entries: int = 200_000) -> tuple[int, int]:
    """(bytes allocated, entries) under `root`, links not followed, hard links counted once.

    Allocated blocks, not apparent sizes, so a sparse file costs what it really uses;
    stops counting at `max_entries` (the caller treats that as over the limit).
    """
    seen: set[tuple[int, int]] = set()
    total = 0
    entries = 0
    stack = [str(root)]
    while stack and entries < max_entries:
        top = stack.pop()
        try:
            with os.scandir(top) as it:
                for entry in it:
                    entries += 1
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(entry.path)
                    key = (st.st_dev, st.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                    total += st.st_blocks * 512
        except OSError:
            continue
    return total, entries


def make_tree_writable(root: Path) -> None:
    """Give the owner rwx on every directory so a hostile chmod cannot block cleanup."""
    for dirpath, dirnames, _ in os.walk(root, followlinks=False):
        for name in dirnames:
            with contextlib.suppress(OSError):
                (Path(dirpath) / name).chmod(0o700, follow_symlinks=False)
    with contextlib.suppress(OSError):
        root.chmod(0o700)


def remove_tree(root: Path) -> None:
    """Delete a run directory whatever the harness did to its permissions."""
    if not root.exists() and not root.is_symlink():
        return
    make_tree_writable(root)
    shutil.rmtree(root, ignore_errors=True)


def chown_tree(root: Path, uid: int, gid: int) -> None:
    """Hand a directory tree to the sandbox user (never following links)."""
    os.chown(root, uid, gid, follow_symlinks=False)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            os.chown(Path(dirpath) / name, uid, gid, follow_symlinks=False)
