#!/usr/bin/env bash
# Sets up everything `dfab` needs on a fresh Debian/Ubuntu machine, idempotently:
#   - bubblewrap (the local sandbox) via apt when missing;
#   - .venv: the dfab package (editable) with its dev extras;
#   - .venv-sandbox: the interpreter harnesses run with, holding only the
#     sandbox image's package allowlist (sandbox_image/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"

if ! command -v bwrap >/dev/null 2>&1; then
    echo "setup: installing bubblewrap (the local sandbox)" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq bubblewrap >/dev/null
fi

stamp() { sha256sum "$@" | sha256sum | cut -c1-16; }

want=$(stamp pyproject.toml)
if [ ! -x .venv/bin/dfab ] || [ "$(cat .venv/.dfab-stamp 2>/dev/null)" != "$want" ]; then
    echo "setup: creating .venv (dfab + dev tools)" >&2
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev]'
    echo "$want" > .venv/.dfab-stamp
fi

want=$(stamp sandbox_image/requirements.txt)
if [ ! -x .venv-sandbox/bin/python ] || [ "$(cat .venv-sandbox/.dfab-stamp 2>/dev/null)" != "$want" ]; then
    echo "setup: creating .venv-sandbox (harness runtime allowlist)" >&2
    rm -rf .venv-sandbox
    "$PYTHON" -m venv --copies .venv-sandbox
    .venv-sandbox/bin/python -m pip install -q --upgrade pip
    .venv-sandbox/bin/python -m pip install -q -r sandbox_image/requirements.txt
    echo "$want" > .venv-sandbox/.dfab-stamp
fi
