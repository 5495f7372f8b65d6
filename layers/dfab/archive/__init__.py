"""Archive safety: inspect, extract and pack harness archives (CONTRACTS.md §1).

Zip and tar.gz are parsed by this package itself (never by the running Python's
zipfile/tarfile), every rejection is a `VerdictError` with a stable reason class, and
extraction happens only after the whole archive passed, into a fresh directory.
"""

from .check import inspect_archive, inspect_bytes
from .extract import extract_archive, extract_bytes
from .models import ArchiveEntry, ArchiveFormat, ArchiveListing
from .pack import SKIPPED_DIRS, SKIPPED_FILES, PackError, pack_directory

__all__ = [
    "SKIPPED_DIRS",
    "SKIPPED_FILES",
    "ArchiveEntry",
    "ArchiveFormat",
    "ArchiveListing",
    "PackError",
    "extract_archive",
    "extract_bytes",
    "inspect_archive",
    "inspect_bytes",
    "pack_directory",
]
