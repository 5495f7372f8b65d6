"""`dfab`: one entry point, one module per command (`cmd_<name>.py`).

Each command module exposes `register(subparsers, parent)`; the parser it adds sets
`handler=run`, and `run(args) -> int` returns the exit code (CONTRACTS.md §6):
0 success, 1 a negative verdict, 2 usage or input error (one line, no traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from dfab import __version__
from dfab.cli.errors import EXIT_USAGE, UsageError
from dfab.settings import ConfigError

#: Command modules, in help order.
COMMANDS: tuple[str, ...] = (
    "evaluate",
    "generate",
    "score",
    "rescore",
    "check",
    "review",
    "compare",
    "submit",
    "status",
    "keygen",
    "serve",
    "weights",
    "leaderboard",
    "init",
    "schemas",
    "config",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parent = _Parser(add_help=False)
    parent.add_argument(
        "--config",
        metavar="FILE",
        help="validator settings (YAML, see config.example.yaml); default $DFAB_CONFIG",
    )
    parent.add_argument(
        "--json", action="store_true", help="print only the machine-readable result"
    )
    parser = _Parser(prog="dfab", description="data-fabrication evaluator")
    parser.add_argument("--version", action="version", version=f"dfab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"dfab.cli.cmd_{name}").register(sub, parent)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return int(args.handler(args))
    except (UsageError, ConfigError) as exc:
        print(f"dfab: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("dfab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`dfab ... | head`): stop quietly, as Python's docs advise.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
