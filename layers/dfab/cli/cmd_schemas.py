"""`dfab schemas`: print the contracts' JSON Schemas, or write them (`make schemas`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dfab.cli.errors import EXIT_OK, UsageError
from dfab.contracts.schemas import render_schemas


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "schemas",
        parents=[parent],
        help="print or write the JSON Schemas of the dataset line and harness.toml",
        description="Renders the JSON Schemas generated from the contract models. Without "
        "--write, prints them as one JSON object (file name -> schema).",
    )
    p.add_argument(
        "--write",
        metavar="DIR",
        type=Path,
        help="write one <name>.schema.json file per schema into DIR (created if missing)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rendered = render_schemas()
    if args.write is None:
        print(json.dumps({name: json.loads(text) for name, text in rendered.items()}, indent=2))
        return EXIT_OK
    directory: Path = args.write
    written: list[str] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in rendered.items():
            path = directory / name
            path.write_text(text, encoding="utf-8")
            written.append(str(path))
    except OSError as exc:
        raise UsageError(f"cannot write schemas to {directory}: {exc.strerror or exc}") from exc
    if args.json:
        print(json.dumps({"written": written}))
    else:
        for path in written:
            print(f"wrote {path}")
    return EXIT_OK
