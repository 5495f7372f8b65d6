"""`dfab config`: check a settings file and show the effective settings (or the example)."""

from __future__ import annotations

import argparse
import json

import yaml

from dfab.cli.errors import EXIT_OK
from dfab.settings import load_settings
from dfab.settings_example import render_example


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "config",
        parents=[parent],
        help="validate settings and print the effective values",
        description="Loads --config (or $DFAB_CONFIG), validates it, and prints every "
        "effective setting with the config hash reports carry.",
    )
    p.add_argument(
        "--example", action="store_true", help="print config.example.yaml (all defaults)"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.example:
        print(render_example(), end="")
        return EXIT_OK
    settings = load_settings(args.config)
    from dfab.scoring.aggregate import check_scoring_config  # heavy: only when run

    check_scoring_config(settings)
    doc = {"config_hash": settings.config_hash(), "settings": settings.model_dump(mode="json")}
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(yaml.safe_dump(doc, sort_keys=False), end="")
    return EXIT_OK
