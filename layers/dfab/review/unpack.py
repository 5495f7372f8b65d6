"""A harness given as a directory or an archive, as the directory validators would see.

A directory is packed exactly as `dfab` packs an upload (`pack_directory`: caches,
virtualenvs and VCS data left out) and both kinds then go through the intake safety
checks (`extract_archive`), so `dfab review DIR` and `dfab compare` look at exactly what
an upload would contain. A harness that cannot be packed or that fails the archive
checks raises `VerdictError` with its reason class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from dfab.archive import PackError, extract_archive, pack_directory
from dfab.contracts.reasons import VerdictError
from dfab.settings import ArchiveSettings

ARCHIVE_SUFFIXES: dict[str, Literal["zip", "tar.gz"]] = {
    ".zip": "zip",
    ".tar.gz": "tar.gz",
    ".tgz": "tar.gz",
}


def archive_format(path: Path) -> Literal["zip", "tar.gz"] | None:
    name = path.name.lower()
    for suffix, fmt in ARCHIVE_SUFFIXES.items():
        if name.endswith(suffix):
            return fmt
    return None


def harness_dir(path: Path, workdir: Path, settings: ArchiveSettings) -> Path:
    """The harness at `path` (directory or archive), unpacked under `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        try:
            data = pack_directory(path, "zip")
        except PackError as exc:
            raise VerdictError(exc.reason_class, str(exc)) from exc
        archive = workdir / "packed.zip"
        archive.write_bytes(data)
        fmt: Literal["zip", "tar.gz"] = "zip"
    else:
        found = archive_format(path)
        if found is None or not path.is_file():
            raise ValueError(f"{path} is neither a directory nor a .zip/.tar.gz archive")
        archive, fmt = path, found
    dest = workdir / "harness"
    extract_archive(archive, dest, settings, declared_format=fmt)
    return dest
