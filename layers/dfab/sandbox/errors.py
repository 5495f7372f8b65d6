"""Errors of the sandbox layer (infrastructure, never a verdict on the harness)."""

from __future__ import annotations

INSTALL_HINT = (
    "install bubblewrap (`sudo apt-get install bubblewrap`) or run scripts/setup.sh; "
    "a miner testing their own harness may pass --unsafe-no-sandbox instead"
)


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run on this host; the message says what is missing and how to fix."""


class SandboxFailure(RuntimeError):
    """The sandbox machinery itself failed during a run (not the harness)."""
