"""The run directory ("box"): the only tree a harness may write to.

Where this process may mount (root on a normal host), the box is a size-capped tmpfs:
the kernel then enforces the total-bytes-written limit exactly, including files the
harness deleted but still holds open, and the pages count against the run's memory
cgroup. Elsewhere it is a plain temporary directory and the supervisor polls its size.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dfab.sandbox.fs import remove_tree

_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MNT_DETACH = 0x2
#: Files and directories a box may hold (tmpfs inodes); keeps size polling cheap too.
MAX_BOX_ENTRIES = 100_000


@dataclass(frozen=True)
class Box:
    """A run directory: `path` on the host, `inside` as the sandboxed process sees it."""

    path: Path
    inside: str
    size_bytes: int
    tmpfs: bool

    def inner(self, relative: str) -> str:
        """The in-sandbox path of `relative` (a path under the box)."""
        return self.inside.rstrip("/") + "/" + relative.lstrip("/") if relative else self.inside

    def used_bytes(self) -> int | None:
        """Exact bytes in use on a tmpfs box (None for a plain directory)."""
        if not self.tmpfs:
            return None
        st = os.statvfs(self.path)
        return (st.f_blocks - st.f_bfree) * st.f_frsize


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _mount_tmpfs(path: Path, size_bytes: int, uid: int, gid: int) -> bool:
    if os.geteuid() != 0:
        return False
    opts = f"size={size_bytes},nr_inodes={MAX_BOX_ENTRIES},mode=0711,uid={uid},gid={gid}"
    rc = _libc().mount(b"tmpfs", os.fsencode(path), b"tmpfs", _MS_NOSUID | _MS_NODEV, opts.encode())
    return rc == 0


def _unmount(path: Path) -> None:
    _libc().umount2(os.fsencode(path), _MNT_DETACH)


@contextlib.contextmanager
def make_box(
    *,
    size_bytes: int,
    inside: str | None,
    owner: tuple[int, int] | None,
    try_tmpfs: bool = True,
    base_dir: Path | None = None,
) -> Iterator[Box]:
    """A fresh box, removed (and unmounted) on exit whatever the harness left in it.

    `inside` is the path the sandbox binds the box at (None: the host path itself);
    `owner` is the (uid, gid) the harness runs as, when it differs from ours.
    """
    path = Path(tempfile.mkdtemp(prefix="dfab-box-", dir=base_dir))
    uid, gid = owner if owner is not None else (os.getuid(), os.getgid())
    mounted = try_tmpfs and _mount_tmpfs(path, size_bytes, uid, gid)
    try:
        if owner is not None and not mounted:
            os.chown(path, uid, gid)
        # Traversable by others: bwrap (root without capabilities) must chdir into it.
        path.chmod(0o711)  # traverse only: others cannot list it
        yield Box(path=path, inside=inside or str(path), size_bytes=size_bytes, tmpfs=mounted)
    finally:
        if mounted:
            _unmount(path)
        remove_tree(path)
