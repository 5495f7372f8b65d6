"""What a harness path given on the command line becomes: archive bytes and a format.

Light on imports (no moto): `dfab check` and `dfab submit` run on miners' machines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dfab.archive import PackError, pack_directory
from dfab.archive.models import ArchiveFormat
from dfab.contracts.reasons import ReasonClass


class InputError(ValueError):
    """The path given is not something a `dfab` command can read.

    `reason_class` is set when a directory cannot be packed for a reason an upload would
    be rejected for too (a symlink, a bad name): `dfab check` reports that as a verdict.
    """

    def __init__(self, message: str, reason_class: ReasonClass | None = None) -> None:
        super().__init__(message)
        self.reason_class = reason_class


@dataclass(frozen=True)
class HarnessArchive:
    data: bytes
    fmt: str  # "zip" | "tar.gz"
    source: Path


def archive_format_of(path: Path) -> ArchiveFormat:
    """The format an archive's file name claims."""
    name = path.name.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    raise InputError(f"{path} is neither a directory nor a .zip/.tar.gz archive")


def read_harness(
    path: Path, pack_format: ArchiveFormat = "zip", *, max_bytes: int | None = None
) -> HarnessArchive:
    """A harness directory is packed reproducibly; an archive is taken as it is.

    `max_bytes`: an archive file larger than this is refused before it is read.
    """
    if not path.exists():
        raise InputError(f"{path} does not exist; give a harness directory or archive")
    if path.is_dir():
        if not (path / "harness.toml").is_file():
            raise InputError(
                f"{path} has no harness.toml at its root; `dfab init DIR` scaffolds one"
            )
        try:
            return HarnessArchive(pack_directory(path, pack_format), pack_format, path)
        except PackError as exc:
            raise InputError(f"cannot pack {path}: {exc}", exc.reason_class) from exc
    fmt = archive_format_of(path)
    if max_bytes is not None and path.stat().st_size > max_bytes:
        raise InputError(
            f"{path} is {path.stat().st_size} bytes; the archive limit is {max_bytes} bytes"
        )
    return HarnessArchive(path.read_bytes(), fmt, path)
