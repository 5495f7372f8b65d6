"""`dfab init DIR`: scaffold a new harness from the published example."""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

from dfab.cli.errors import EXIT_OK, UsageError
from dfab.contracts.manifest import MANIFEST_NAME
from dfab.local.project import ProjectNotFound, project_root

_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "dfab-out")
_NAME = re.compile(r"^[a-z0-9-]{1,64}$")


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "init",
        parents=[parent],
        help="scaffold a new harness from the example",
        description="Copies the example harness into DIR and names it after DIR (or --name).",
    )
    p.add_argument("dir", type=Path, help="new directory for the harness (must not exist)")
    p.add_argument("--name", help="harness name, 1-64 chars of [a-z0-9-] (default: DIR's name)")
    p.set_defaults(handler=run)


def scaffold(dest: Path, name: str) -> Path:
    try:
        example = project_root() / "examples" / "harness"
    except ProjectNotFound as exc:
        raise UsageError(str(exc)) from exc
    if dest.exists() and any(dest.iterdir()):
        raise UsageError(f"{dest} already exists and is not empty; choose a new directory")
    shutil.copytree(example, dest, ignore=_IGNORE, dirs_exist_ok=True)
    manifest = dest / MANIFEST_NAME
    text = manifest.read_text(encoding="utf-8")
    text, n = re.subn(r'(?m)^name\s*=\s*".*"$', f'name = "{name}"', text, count=1)
    if n != 1:
        raise UsageError(f"the example {MANIFEST_NAME} has no name line to rewrite")
    manifest.write_text(text, encoding="utf-8")
    return dest


def run(args: argparse.Namespace) -> int:
    name = args.name or args.dir.resolve().name.lower().replace("_", "-")
    if not _NAME.match(name):
        raise UsageError(
            f"harness name {name!r} must be 1-64 chars of [a-z0-9-]; pass --name to choose one"
        )
    dest = scaffold(args.dir, name)
    if args.json:
        print(json.dumps({"created": str(dest), "name": name}))
    else:
        print(f"created harness {name!r} in {dest}")
        print(f"next: edit {dest}/generate.py, then `dfab evaluate {dest}`")
    return EXIT_OK
