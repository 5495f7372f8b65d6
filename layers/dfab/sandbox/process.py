"""Backends without namespaces: the Fargate container, and the explicit unsafe runner.

`ContainerSandbox` is used inside the sandbox image, where the Fargate task itself is
the isolation boundary (its own micro-VM, no task role, no route out but the S3
endpoint). It still applies every limit (rlimits; cgroups when writable), drops to
`sandbox_uid` when started as root, forbids privilege gain (no_new_privs), and makes
itself the child subreaper so daemonized grandchildren stay its descendants and are
all killed when a run ends. It assumes it is the only thing the process runs.

`UnsafeRunner` runs a miner's own harness on their own machine with the limits but no
isolation at all; it says so loudly and no validator path constructs it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from dfab.sandbox.box import Box, make_box
from dfab.sandbox.env import harness_env
from dfab.sandbox.errors import SandboxUnavailable
from dfab.sandbox.fs import chown_tree
from dfab.sandbox.result import Isolation, SandboxResult
from dfab.sandbox.runner import MIB, Launch, RunSpec, execute
from dfab.sandbox.runtime import Runtime, resolve_runtime
from dfab.settings import SandboxSettings

_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
UNSAFE_WARNING = (
    "WARNING: --unsafe-no-sandbox: the harness runs WITHOUT isolation, with your user's "
    "files, network and credentials in reach. Only do this with your own code. "
    "Validators never run harnesses this way."
)


def _prctl(option: int, value: int) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(option, value, 0, 0, 0) == 0


def protect_supervisor() -> None:
    """Make this process non-dumpable: same-uid children cannot read its memory/environ."""
    _prctl(_PR_SET_DUMPABLE, 0)


def _proc_table() -> dict[int, tuple[int, str, int]]:
    """pid -> (ppid, state, uid) for every visible process."""
    table: dict[int, tuple[int, str, int]] = {}
    for entry in Path("/proc").iterdir():
        name = entry.name
        if not name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes().decode(errors="replace")
            uid = entry.stat().st_uid
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) >= 2:
            table[int(name)] = (int(fields[1]), fields[0], uid)
    return table


def descendants(root: int) -> list[int]:
    """Live (non-zombie) descendants of `root`, and reaps zombie ones reparented to us."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out: list[int] = []
    stack = list(children.get(root, []))
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    live = []
    for pid in out:
        if table[pid][1] == "Z":
            if table[pid][0] == os.getpid():
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(pid, os.WNOHANG)
        else:
            live.append(pid)
    return live


def _uid_tasks(uid: int) -> int:
    """Threads currently owned by `uid` (what RLIMIT_NPROC counts)."""
    count = 0
    for pid, (_, _, owner) in _proc_table().items():
        if owner == uid:
            with contextlib.suppress(OSError):
                count += sum(1 for _ in Path(f"/proc/{pid}/task").iterdir())
    return count


def _check_traversable(path: Path) -> None:
    """The dropped uid must reach the box through every parent directory."""
    for parent in path.parents:
        if not parent.stat().st_mode & 0o001:
            raise SandboxUnavailable(
                f"{parent} is not traversable by the sandbox uid; put TMPDIR (the boxes' "
                "parent) under world-traversable directories"
            )


class _ProcessBackend:
    isolation: Isolation = "none"
    _sweep_descendants = False

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.runtime: Runtime = resolve_runtime(settings.runtime_python)
        self.setpriv = shutil.which("setpriv", path="/usr/bin:/bin")
        self.drop = os.geteuid() == 0
        if self.drop and not self.setpriv:
            raise SandboxUnavailable(
                "setpriv (util-linux) is needed to drop privileges when running as root"
            )

    @contextlib.contextmanager
    def box(self, base_dir: Path | None = None) -> Iterator[Box]:
        uid = self.settings.sandbox_uid
        with make_box(
            size_bytes=self.settings.max_workdir_mb * MIB,
            inside=None,
            owner=(uid, uid) if self.drop else None,
            base_dir=base_dir,
        ) as box:
            if self.drop:
                _check_traversable(box.path)
            yield box

    def _sweep(self) -> None:
        """Kill every descendant of this process until none is left (bounded)."""
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            pids = descendants(os.getpid())
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def run(self, box: Box, spec: RunSpec) -> SandboxResult:
        s = self.settings
        tmp = box.path / ".tmp"
        tmp.mkdir(exist_ok=True)
        uid = s.sandbox_uid if self.drop else os.getuid()
        if self.drop:
            chown_tree(box.path, uid, uid)
        env = harness_env(self.runtime.bin_dir, str(tmp), spec.env)
        argv = self.runtime.command(spec.argv)
        if self.drop:
            # Limits are applied to the (root) gate first; setpriv drops last, so no
            # CAP_SYS_RESOURCE is needed to limit another uid's process.
            argv = [
                str(self.setpriv),
                f"--reuid={uid}",
                f"--regid={uid}",
                "--clear-groups",
                "--no-new-privs",
                "--inh-caps=-all",
                "--",
                *argv,
            ]
        elif self.setpriv:
            argv = [self.setpriv, "--no-new-privs", "--", *argv]
        launch = Launch(
            command=argv,
            env=env,
            cwd=box.path / spec.cwd if spec.cwd else box.path,
            isolation=self.isolation,
            sweep=self._sweep if self._sweep_descendants else None,
            nproc_baseline=_uid_tasks(uid),
        )
        return execute(launch, box, spec, s)


class ContainerSandbox(_ProcessBackend):
    """The sandbox image's backend (see the module docstring)."""

    isolation: Isolation = "container"
    _sweep_descendants = True

    def __init__(self, settings: SandboxSettings) -> None:
        super().__init__(settings)
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)
        protect_supervisor()


class UnsafeRunner(_ProcessBackend):
    """No isolation: for a miner running their own harness (`--unsafe-no-sandbox`)."""

    isolation: Isolation = "none"

    def __init__(self, settings: SandboxSettings, *, quiet: bool = False) -> None:
        super().__init__(settings)
        self.drop = False
        if not quiet:
            print(UNSAFE_WARNING, file=sys.stderr)
