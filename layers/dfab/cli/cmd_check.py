"""`dfab check PATH`: the checks an upload gets (archive safety, manifest), locally.

Exactly the validate step's `_check_archive`, minus what only exists after signing
(the declared size and sha256), so a miner learns the verdict before submitting.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console

from dfab.cli.errors import EXIT_NEGATIVE, EXIT_OK, UsageError
from dfab.contracts.reasons import Reason, VerdictError
from dfab.local.harness import InputError, archive_format_of, read_harness
from dfab.settings import Settings, load_settings


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "check",
        parents=[parent],
        help="check a harness like an upload is checked (archive safety, manifest)",
        description="Runs the validator's archive and manifest checks on this machine and "
        "prints the verdict. A directory is packed first, exactly as `dfab submit` packs it. "
        "Exit 0 accepted, 1 rejected, 2 usage error.",
    )
    p.add_argument("path", type=Path, help="harness directory or .zip/.tar.gz archive")
    p.add_argument(
        "--format",
        choices=["zip", "tar.gz"],
        default="zip",
        help="archive format to pack a directory into (default: zip)",
    )
    p.set_defaults(handler=run)


def check_path(path: Path, pack_format: str, settings: Settings) -> dict[str, Any]:
    """The verdict document for `path` (raises UsageError for unusable input)."""
    from dfab.pipeline.validate import check_local_archive

    try:
        if path.is_dir():
            harness = read_harness(path, pack_format)  # type: ignore[arg-type]
            with tempfile.TemporaryDirectory(prefix="dfab-check-") as tmp:
                packed = Path(tmp) / f"harness.{harness.fmt}"
                packed.write_bytes(harness.data)
                facts = check_local_archive(packed, harness.fmt, settings)
            fmt = harness.fmt
        else:
            if not path.is_file():
                raise InputError(f"{path} does not exist; give a harness directory or archive")
            fmt = archive_format_of(path)
            facts = check_local_archive(path, fmt, settings)
    except InputError as exc:
        if exc.reason_class is None:
            raise UsageError(str(exc)) from exc
        return _rejected(Reason(reason_class=exc.reason_class, message=str(exc)))
    except VerdictError as verdict:
        return _rejected(verdict.reason)
    return {
        "verdict": "accepted",
        "format": fmt,
        "size": facts["archive_size"],
        "sha256": facts["archive_sha256"],
        "harness": {"name": facts["harness_name"], "version": facts["harness_version"]},
        "entries": facts["entries"],
        "unpacked_bytes": facts["unpacked_bytes"],
        "reason": None,
    }


def _rejected(reason: Reason) -> dict[str, Any]:
    return {"verdict": "rejected", "reason": reason.dump()}


def print_verdict(doc: dict[str, Any], console: Console) -> None:
    if doc["verdict"] == "accepted":
        h = doc["harness"]
        console.print(
            f"[bold green]accepted[/]: {h['name']} {h['version']} ({doc['format']}, "
            f"{doc['size']} bytes, {doc['entries']} entries, {doc['unpacked_bytes']} bytes "
            f"unpacked)\nsha256 {doc['sha256']}",
            highlight=False,
            soft_wrap=True,
        )
    else:
        reason = doc["reason"]
        console.print(
            f"[bold red]rejected[/]: {reason['class']}: {reason['message']}", soft_wrap=True
        )


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    doc = check_path(args.path, args.format, settings)
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        print_verdict(doc, Console())
    return EXIT_OK if doc["verdict"] == "accepted" else EXIT_NEGATIVE
