"""`dfab keygen`: a fresh hotkey for testing, written as a Bittensor wallet hotkey file.

For local stacks (`dfab serve`) and trying the submit flow; a real miner signs with
the hotkey registered on the subnet.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dfab.cli.errors import EXIT_OK, UsageError
from dfab.intake import hotkeys

DEFAULT_OUT = Path("dfab-hotkey.json")


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "keygen",
        parents=[parent],
        help="make a local test hotkey (wallet-format file) and print its SS58 address",
        description="Generates an sr25519 hotkey from a new 12-word mnemonic and writes it in "
        "the Bittensor wallet hotkey file format (JSON with secretPhrase/secretSeed, mode 0600). "
        "Use it with `dfab submit --hotkey-file FILE`.",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"file to write (default: ./{DEFAULT_OUT}); never overwritten without --force",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument(
        "--ss58-format", type=int, default=42, help="address format (default: 42, Bittensor)"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.ss58_format < 16384:
        raise UsageError("--ss58-format must be in 0-16383")
    key = hotkeys.generate()
    try:
        hotkeys.write_wallet_file(key, args.out, overwrite=args.force, ss58_format=args.ss58_format)
    except hotkeys.HotkeyError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    address = key.address(args.ss58_format)
    if args.json:
        sys.stdout.write(json.dumps({"ss58_address": address, "path": str(args.out)}) + "\n")
    else:
        sys.stdout.write(address + "\n")
        print(f"hotkey written to {args.out} (keep it private)", file=sys.stderr)
    return EXIT_OK
