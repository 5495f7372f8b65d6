"""Shared setup for the e2e tests: small settings, the CLI as a process, loopback servers.

Imported by the e2e test modules (pytest puts this folder on sys.path). A module that
uses a fixture imports its `*_fixture` function; pytest knows it by the short name.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dfab.local.server import LocalServer
from dfab.settings import Settings

# Small enough that a whole evaluation runs in the test's time budget.
SMALL = {
    "generation": {"num_conversations": 24},
    "scoring": {"min_conversations": 20},
    "verification": {"sample_size": 3},
    "sandbox": {"wall_timeout_s": 120},
}

# Runs the real CLI entry point, as the `dfab` console script does.
RUNNER = "import sys\nfrom dfab.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"


def dfab(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`dfab ARGS...` as its own process, its output captured."""
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


@contextmanager
def serving(*args: str) -> Iterator[dict[str, Any]]:
    """`dfab serve --port 0 --json ARGS...` in the background; yields its startup line.

    When the block ends normally the server must stop cleanly on SIGTERM (exit 0); on
    any way out it is killed if it still runs.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, "serve", "--port", "0", "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _no_task(env: Mapping[str, str]) -> int:
    raise AssertionError("no sandbox task may run in this test")


@pytest.fixture(name="quick_server")
def quick_server_fixture() -> Iterator[LocalServer]:
    """A server whose evaluations must never reach the sandbox."""
    with LocalServer(Settings.model_validate(SMALL), task_function=_no_task) as server:
        yield server


@pytest.fixture(name="hotkey_file")
def hotkey_file_fixture(tmp_path: Path) -> tuple[Path, str]:
    """A fresh hotkey wallet written by `dfab keygen`: (its path, its SS58 address)."""
    path = tmp_path / "hotkey.json"
    proc = dfab("keygen", "--out", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    return path, json.loads(proc.stdout)["ss58_address"]
