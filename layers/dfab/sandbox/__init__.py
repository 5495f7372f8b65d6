"""Bounded, isolated execution of untrusted code (harnesses and verification commands).

One interface, `Sandbox`: `box()` gives a fresh run directory, `run(box, spec)` runs a
command in it and returns a classified `SandboxResult`. Backends: `BwrapSandbox`
(local, bubblewrap), `ContainerSandbox` (inside the Fargate sandbox image) and
`UnsafeRunner` (no isolation; only for `dfab generate --unsafe-no-sandbox`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Protocol

from dfab.sandbox.box import Box
from dfab.sandbox.bwrap import BOX_INSIDE, BwrapSandbox
from dfab.sandbox.errors import INSTALL_HINT, SandboxFailure, SandboxUnavailable
from dfab.sandbox.process import ContainerSandbox, UnsafeRunner
from dfab.sandbox.result import LIMIT_REASONS, ExitReason, SandboxResult
from dfab.sandbox.runner import RunSpec
from dfab.settings import SandboxSettings


class Sandbox(Protocol):
    """What generation and verification need from any backend."""

    settings: SandboxSettings

    @property
    def isolation(self) -> str: ...

    def box(self, base_dir: Path | None = None) -> contextlib.AbstractContextManager[Box]: ...

    def run(self, box: Box, spec: RunSpec) -> SandboxResult: ...


def get_sandbox(settings: SandboxSettings) -> Sandbox:
    """The configured isolating backend, or `SandboxUnavailable` saying how to get it.

    Never returns the unsafe runner: that one is constructed explicitly, by the miner's
    `--unsafe-no-sandbox` only.
    """
    if settings.backend == "container":
        return ContainerSandbox(settings)
    return BwrapSandbox(settings)


__all__ = [
    "BOX_INSIDE",
    "INSTALL_HINT",
    "LIMIT_REASONS",
    "Box",
    "BwrapSandbox",
    "ContainerSandbox",
    "ExitReason",
    "RunSpec",
    "Sandbox",
    "SandboxFailure",
    "SandboxResult",
    "SandboxUnavailable",
    "UnsafeRunner",
    "get_sandbox",
]
