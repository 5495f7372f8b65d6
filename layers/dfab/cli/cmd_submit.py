"""`dfab submit PATH --api URL`: pack, check, sign, upload, and follow to the verdict.

The hotkey's secret never comes from a command-line value (shell history, process
lists): a wallet hotkey file, a file holding the mnemonic or seed, or the environment
variables DFAB_HOTKEY_MNEMONIC / DFAB_HOTKEY_SEED.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console

from dfab.cli.cmd_check import check_path, print_verdict
from dfab.cli.cmd_status import (
    add_api_argument,
    api_client,
    follow,
    render_final,
    verdict_exit_code,
)
from dfab.cli.errors import EXIT_NEGATIVE, EXIT_OK, EXIT_USAGE, UsageError
from dfab.intake import hotkeys
from dfab.intake.client import ApiRefused, ApiUnreachable, signed_request
from dfab.local.harness import InputError, read_harness
from dfab.settings import load_settings

MNEMONIC_ENV = "DFAB_HOTKEY_MNEMONIC"
SEED_ENV = "DFAB_HOTKEY_SEED"


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "submit",
        parents=[parent],
        help="submit a harness to a validator and follow it to the verdict",
        description="Packs a harness directory reproducibly (or takes an archive), runs the "
        "same checks as `dfab check`, signs the request with your hotkey, uploads the archive "
        "to the presigned URL and follows the submission until it ends. Exit 0: completed "
        "with passing gates; 1: rejected, failed or gated; 2: usage error or refused request.",
    )
    p.add_argument("path", type=Path, help="harness directory or .zip/.tar.gz archive")
    add_api_argument(p)
    keys = p.add_argument_group(
        "hotkey (one of; secrets are never taken from a command-line value)"
    )
    keys.add_argument(
        "--hotkey-file",
        type=Path,
        help="Bittensor wallet hotkey file, or one from `dfab keygen`",
    )
    keys.add_argument("--wallet", help="wallet name: ~/.bittensor/wallets/WALLET/hotkeys/HOTKEY")
    keys.add_argument("--hotkey", default="default", help="hotkey name in --wallet")
    keys.add_argument(
        "--wallet-path",
        type=Path,
        help="wallets directory (default: ~/.bittensor/wallets)",
    )
    keys.add_argument("--mnemonic-file", type=Path, help="file holding the BIP39 mnemonic")
    keys.add_argument("--seed-file", type=Path, help="file holding the 32-byte seed as hex")
    p.add_argument(
        "--ss58-format", type=int, default=42, help="address format (default: 42, Bittensor)"
    )
    p.add_argument(
        "--format",
        choices=["zip", "tar.gz"],
        default="zip",
        help="archive format to pack a directory into (default: zip)",
    )
    p.add_argument(
        "--skip-check", action="store_true", help="do not run the local checks before submitting"
    )
    p.add_argument(
        "--no-wait", action="store_true", help="stop after the upload; follow with `dfab status`"
    )
    p.add_argument("--poll", type=float, default=2.0, help="seconds between status polls")
    p.add_argument(
        "--timeout", type=float, default=3600.0, help="give up following after this many seconds"
    )
    p.set_defaults(handler=run)


def _secret_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc


def load_hotkey(args: argparse.Namespace) -> hotkeys.Hotkey:
    """The signing key from exactly one source (flags first, then the environment)."""
    chosen = [
        name
        for name in ("hotkey_file", "wallet", "mnemonic_file", "seed_file")
        if getattr(args, name)
    ]
    if len(chosen) > 1:
        flags = ", ".join("--" + c.replace("_", "-") for c in chosen)
        raise UsageError(f"give one hotkey source, not {flags}")
    try:
        if args.hotkey_file:
            return hotkeys.from_wallet_file(args.hotkey_file)
        if args.wallet:
            path = hotkeys.wallet_hotkey_path(args.wallet, args.hotkey, args.wallet_path)
            return hotkeys.from_wallet_file(path)
        if args.mnemonic_file:
            return hotkeys.from_mnemonic(_secret_file(args.mnemonic_file))
        if args.seed_file:
            return hotkeys.from_seed(hotkeys.parse_seed(_secret_file(args.seed_file)))
        if os.environ.get(MNEMONIC_ENV):
            return hotkeys.from_mnemonic(os.environ[MNEMONIC_ENV])
        if os.environ.get(SEED_ENV):
            return hotkeys.from_seed(hotkeys.parse_seed(os.environ[SEED_ENV]))
    except hotkeys.HotkeyError as exc:
        raise UsageError(str(exc)) from exc
    raise UsageError(
        "no hotkey: give --hotkey-file, --wallet, --mnemonic-file or --seed-file, "
        f"or set {MNEMONIC_ENV} / {SEED_ENV}"
    )


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    client = api_client(args)
    key = load_hotkey(args)
    if not 0 <= args.ss58_format < 16384:
        raise UsageError("--ss58-format must be in 0-16383")
    err = Console(stderr=True)
    say = (
        (lambda text: None)
        if args.json
        else (lambda text: err.print(text, highlight=False, soft_wrap=True))
    )

    if not args.skip_check:
        verdict = check_path(args.path, args.format, settings)
        if verdict["verdict"] != "accepted":
            if args.json:
                sys.stdout.write(json.dumps(verdict, indent=2) + "\n")
            else:
                print_verdict(verdict, Console())
                err.print("not submitted: fix the harness (or see `dfab check`)")
            return EXIT_NEGATIVE
    try:
        harness = read_harness(args.path, args.format, max_bytes=settings.archive.max_archive_bytes)
    except InputError as exc:
        raise UsageError(str(exc)) from exc

    request = signed_request(key, harness.data, harness.fmt, ss58_format=args.ss58_format)  # type: ignore[arg-type]
    say(f"hotkey {request.hotkey}: submitting {len(harness.data)} bytes, sha256 {request.sha256}")
    try:
        created = client.create_submission(request)
        sid = str(created["submission_id"])
        say(f"submission {sid}: uploading")
        client.upload(created["upload"], harness.data, f"harness.{harness.fmt}")
        if args.no_wait:
            doc = client.submission(sid)
        else:
            doc = follow(
                client,
                sid,
                show_progress=not args.json,
                poll_s=max(0.2, args.poll),
                timeout_s=args.timeout,
            )
    except ApiRefused as exc:
        raise UsageError(f"refused ({exc.status} {exc.code}): {exc.message}") from exc
    except ApiUnreachable as exc:
        raise UsageError(str(exc)) from exc

    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        render_final(doc, Console())
    if args.no_wait:
        say(f"follow it with: dfab status {sid} --api {args.api} --follow")
        return EXIT_OK
    if not doc.get("final"):
        print(
            f"dfab: gave up after {args.timeout:g} s; submission {sid} is still "
            f"{doc['status']}: dfab status {sid} --api {args.api} --follow",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return verdict_exit_code(doc)
