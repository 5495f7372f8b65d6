"""Entry types and permission bits: only plain files and directories, never special bits.

Extraction never applies archive modes as given; it writes 0o644 (0o755 when any
execute bit is set) and 0o755 for directories, so the listing records those.
"""

from __future__ import annotations

import stat

from dfab.contracts.reasons import ReasonClass, VerdictError

from .names import show

FILE_MODE = 0o644
EXEC_MODE = 0o755
DIR_MODE = 0o755

_SPECIAL = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


def link_error(name: bytes | str, what: str = "a symbolic link") -> VerdictError:
    return VerdictError(
        ReasonClass.LINK,
        f"entry {show(name)} is {what}; archives may hold only regular files and "
        "directories: replace the link with the file it points to",
    )


def special_error(name: bytes | str, what: str) -> VerdictError:
    return VerdictError(
        ReasonClass.SPECIAL_FILE,
        f"entry {show(name)} is {what}; archives may hold only regular files and directories",
    )


def unix_kind(name: bytes | str, mode: int) -> bool | None:
    """From Unix mode type bits: True for a directory, False for a file, None if absent.

    Links and device/FIFO/socket types raise; unknown type bits count as special.
    """
    kind = stat.S_IFMT(mode)
    if kind == 0:
        return None
    if kind == stat.S_IFREG:
        return False
    if kind == stat.S_IFDIR:
        return True
    if kind == stat.S_IFLNK:
        raise link_error(name)
    raise special_error(name, _SPECIAL.get(kind, f"of unknown type {oct(kind)}"))


def normalized_mode(name: bytes | str, permissions: int | None, *, is_dir: bool) -> int:
    """The mode extraction applies; refuses setuid, setgid and sticky bits."""
    if permissions is not None and permissions & 0o7000:
        raise VerdictError(
            ReasonClass.PERMISSIONS,
            f"entry {show(name)} has mode {oct(permissions & 0o7777)} with setuid, setgid "
            "or sticky bits; clear them (e.g. chmod u-s,g-s,o-t) and re-create the archive",
        )
    if is_dir:
        return DIR_MODE
    return EXEC_MODE if permissions is not None and permissions & 0o111 else FILE_MODE
