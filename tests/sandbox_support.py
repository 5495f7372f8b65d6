"""Shared by the tests that run harness code in the real bubblewrap sandbox.

Imported like `conftest`: pytest puts tests/ on sys.path, where tests/conftest.py lives.
"""

from __future__ import annotations

import pytest

from dfab.sandbox import BwrapSandbox, SandboxUnavailable
from dfab.settings import SandboxSettings

# Tight enough that a run breaking a limit is stopped within seconds.
_TIGHT = {
    "wall_timeout_s": 6,
    "cpu_time_s": 2,
    "memory_mb": 128,
    "max_processes": 16,
    "max_open_files": 32,
    "max_output_mb": 2,
    "max_workdir_mb": 8,
    "max_log_mb": 1,
    "tmp_mb": 8,
}


def tight_limits(**changes: int) -> SandboxSettings:
    """Small sandbox limits (`_TIGHT`), with `changes` replacing some of them."""
    return SandboxSettings(**{**_TIGHT, **changes})


def bwrap_unusable(limits: SandboxSettings) -> str | None:
    """Why bubblewrap cannot create a sandbox with `limits` here; None when it can."""
    try:
        BwrapSandbox(limits)
    except SandboxUnavailable as exc:
        return str(exc)
    return None


def skip_without_bwrap(limits: SandboxSettings) -> pytest.MarkDecorator:
    """Skip unless bubblewrap can create a sandbox with `limits` here."""
    why = bwrap_unusable(limits)
    return pytest.mark.skipif(why is not None, reason=f"bubblewrap unusable: {why}")
