"""`dfab serve`: the deployed stack on loopback, no AWS account needed.

The API on http://127.0.0.1:PORT through the deployed API handler; moto (server mode)
for S3, SQS, DynamoDB, SSM and Step Functions; uploads validated by the deployed
validate handler; evaluations running the deployed definition with the local sandbox.
GET /weights needs a bearer token checked by the deployed authorizer, as on AWS: by
default a fresh one is made and printed at startup (and written to
`--weights-token-file`); `--weights-token-hashes FILE` accepts your own tokens instead.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from rich.console import Console

from dfab.cli.errors import EXIT_OK, UsageError
from dfab.settings import load_settings


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "serve",
        parents=[parent],
        help="run the whole stack on this machine (API on 127.0.0.1) until interrupted",
        description="Serves the API on http://HOST:PORT and runs uploads through validation "
        "and evaluation exactly as deployed (moto server + local sandbox). Loopback only.",
    )
    p.add_argument("--host", default="127.0.0.1", help="loopback address (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8787, help="API port (default 8787; 0: any free)")
    p.add_argument(
        "--moto-port", type=int, default=0, help="storage (moto) port (default: any free)"
    )
    tokens = p.add_mutually_exclusive_group()
    tokens.add_argument(
        "--weights-token-file",
        type=Path,
        help="write the generated GET /weights token to this new file (mode 0600), for "
        "`dfab weights --token-file`",
    )
    tokens.add_argument(
        "--weights-token-hashes",
        type=Path,
        metavar="FILE",
        help="accept these SHA-256 token hashes instead of generating a token (the format of "
        "the deployed weights-token-hashes parameter)",
    )
    p.set_defaults(handler=run)


def _token_hashes(path: Path | None) -> frozenset[str] | None:
    from dfab.api.auth import TokenListInvalid, parse_token_hashes

    if path is None:
        return None
    try:
        return parse_token_hashes(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(
            f"cannot read --weights-token-hashes {path}: {exc.strerror or exc}"
        ) from exc
    except TokenListInvalid as exc:
        raise UsageError(f"--weights-token-hashes {path}: {exc}") from exc


def _write_token(path: Path, token: str) -> None:
    """A new file only the user can read; never overwrites (it may be someone's secret)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise UsageError(f"--weights-token-file {path} exists; refusing to overwrite it") from exc
    except OSError as exc:
        raise UsageError(
            f"cannot write --weights-token-file {path}: {exc.strerror or exc}"
        ) from exc
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")


def run(args: argparse.Namespace) -> int:
    from dfab.local.project import ProjectNotFound
    from dfab.local.server import LocalServer, NotLoopback, check_loopback
    from dfab.sandbox import SandboxUnavailable, get_sandbox

    settings = load_settings(args.config)
    try:
        check_loopback(args.host)
    except NotLoopback as exc:
        raise UsageError(str(exc)) from exc
    for name in ("port", "moto_port"):
        if not 0 <= getattr(args, name) < 65536:
            raise UsageError(f"--{name.replace('_', '-')} must be in 0-65535")
    hashes = _token_hashes(args.weights_token_hashes)
    err = Console(stderr=True)
    try:
        get_sandbox(settings.sandbox)
    except SandboxUnavailable as exc:
        err.print(f"[yellow]warning[/]: {exc}; evaluations will fail until it is available")

    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server = LocalServer(
            settings,
            host=args.host,
            api_port=args.port,
            moto_port=args.moto_port,
            weights_token_hashes=hashes,
        )
        with server:
            info = {
                "api_url": server.api_url,
                "storage_url": server.moto_url,
                "weights_token": server.weights_token,
            }
            if server.weights_token and args.weights_token_file:
                _write_token(args.weights_token_file, server.weights_token)
            if args.json:
                sys.stdout.write(json.dumps(info) + "\n")
                sys.stdout.flush()
            else:
                print(info["api_url"], flush=True)
                err.print(
                    f"dfab serve: API {info['api_url']} · storage {info['storage_url']} · "
                    "Ctrl-C to stop"
                )
                if server.weights_token:
                    err.print(
                        f"GET /weights token (this run only): {server.weights_token}",
                        highlight=False,
                    )
                else:
                    err.print(f"GET /weights accepts {len(hashes or ())} token hash(es)")
            while not stop.wait(0.5):
                pass
            # SIGTERM: stop now; running sandbox tasks end at their own limits.
            server.stop(wait=False)
    except ProjectNotFound as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot start the local stack: {exc.strerror or exc}") from exc
    finally:
        signal.signal(signal.SIGTERM, previous)
    return EXIT_OK
