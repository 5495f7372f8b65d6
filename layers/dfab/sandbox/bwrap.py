"""The local backend: bubblewrap namespaces around the harness.

Inside: an empty network namespace (loopback only), its own PID/IPC/UTS namespaces,
a read-only system (/usr and the interpreter's directories, nothing of /root, /home
or the checkout), a private size-capped /tmp, the box at /sandbox as the only
writable host path, no capabilities, and an unprivileged uid. The PID namespace is
the teardown guarantee: when its first process ends, the kernel kills every other.

Started as root, bwrap runs without a user namespace (so it can mount directories
only root can traverse) and `setpriv` drops to `sandbox_uid` as the very last step;
started as an ordinary user, bwrap maps that user to `sandbox_uid` in a new user
namespace and forbids nested ones. bwrap and its init run from a scrubbed environment,
so `/proc/1/environ` inside holds nothing of the caller's.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from dfab.sandbox.box import Box, make_box
from dfab.sandbox.env import harness_env
from dfab.sandbox.errors import INSTALL_HINT, SandboxUnavailable
from dfab.sandbox.fs import chown_tree
from dfab.sandbox.result import SandboxResult
from dfab.sandbox.runner import MIB, Launch, RunSpec, execute
from dfab.sandbox.runtime import Runtime, resolve_runtime
from dfab.sandbox.seccomp import build_filter, filter_fd
from dfab.settings import SandboxSettings

BOX_INSIDE = "/sandbox"
#: Private tmpfs mounts inside the sandbox (not the host's).
SANDBOX_TMP = "/tmp"  # noqa: S108
SANDBOX_SHM = "/dev/shm"  # noqa: S108
_SYSTEM_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime")
#: bwrap and the gate shell run with this and nothing else.
_LAUNCH_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def _ancestors(path: str) -> list[str]:
    parts = PurePosixPath(path).parts[1:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


class BwrapSandbox:
    """Runs commands in a bubblewrap sandbox configured from `SandboxSettings`."""

    isolation = "bwrap"

    def __init__(self, settings: SandboxSettings, *, bwrap: str | None = None) -> None:
        found = bwrap or shutil.which("bwrap", path="/usr/local/bin:/usr/bin:/bin")
        if not found:
            raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}")
        self.settings = settings
        self.bwrap = found
        self.runtime: Runtime = resolve_runtime(settings.runtime_python)
        self.privileged = os.geteuid() == 0
        self.setpriv: str | None = None
        if self.privileged:
            self.setpriv = shutil.which("setpriv", path="/usr/bin:/bin:/usr/sbin:/sbin")
            if not self.setpriv:
                raise SandboxUnavailable(
                    "setpriv (util-linux) is needed to drop privileges when running as root: "
                    "`apt-get install util-linux`, or run dfab as an ordinary user"
                )
        self._seccomp = build_filter()
        _check_usable(self.bwrap, tuple(self._static_args()), tuple(self._tail_command(["true"])))

    # ------------------------------------------------------------------ layout
    def _static_args(self) -> list[str]:
        s, uid = self.settings, self.settings.sandbox_uid
        args = [
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "sandbox",
        ]
        if self.privileged:
            args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            args += ["--unshare-user", "--disable-userns", "--uid", str(uid), "--gid", str(uid)]
        args += ["--ro-bind", "/usr", "/usr"]
        for name in _SYSTEM_LINKS:
            host = Path("/" + name)
            if host.is_symlink():
                args += ["--symlink", str(host.readlink()), str(host)]
            elif host.is_dir():
                args += ["--ro-bind", str(host), str(host)]
        args += ["--perms", "0755", "--dir", "/etc"]
        for f in _ETC_FILES:
            args += ["--ro-bind-try", f, f]
        # The private /tmp first: an interpreter that lives under the host's /tmp (a
        # checkout cloned there) is then bound on top of it instead of hidden by it.
        tmp = str(s.tmp_mb * MIB)
        args += ["--perms", "1777", "--size", tmp, "--tmpfs", SANDBOX_TMP]
        made: set[str] = {SANDBOX_TMP}
        for root in self.runtime.roots():
            if root == "/usr" or root.startswith("/usr/"):
                continue
            for parent in _ancestors(root):
                if parent not in made and not parent.startswith("/usr"):
                    made.add(parent)
                    args += ["--perms", "0755", "--dir", parent]
            args += ["--ro-bind", root, root]
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--perms", "1777", "--size", tmp, "--tmpfs", SANDBOX_SHM]
        return args

    def _tail_command(self, argv: list[str]) -> list[str]:
        if self.privileged:
            assert self.setpriv is not None
            uid = str(self.settings.sandbox_uid)
            return [
                self.setpriv,
                f"--reuid={uid}",
                f"--regid={uid}",
                "--clear-groups",
                "--no-new-privs",
                "--inh-caps=-all",
                "--",
                *argv,
            ]
        return argv

    # ------------------------------------------------------------------ api
    @contextlib.contextmanager
    def box(self, base_dir: Path | None = None) -> Iterator[Box]:
        """A fresh run directory, seen as /sandbox inside."""
        uid = self.settings.sandbox_uid
        with make_box(
            size_bytes=self.settings.max_workdir_mb * MIB,
            inside=BOX_INSIDE,
            owner=(uid, uid) if self.privileged else None,
            base_dir=base_dir,
        ) as box:
            yield box

    def run(self, box: Box, spec: RunSpec) -> SandboxResult:
        """Run `spec` in `box` (populated by the caller) and classify the outcome."""
        s = self.settings
        if self.privileged:
            chown_tree(box.path, s.sandbox_uid, s.sandbox_uid)
        env = harness_env(self.runtime.bin_dir, SANDBOX_TMP, spec.env)
        args = [self.bwrap, *self._static_args(), "--clearenv"]
        for key, value in env.items():
            args += ["--setenv", key, value]
        args += ["--bind", str(box.path), BOX_INSIDE, "--remount-ro", "/"]
        args += ["--chdir", box.inner(spec.cwd)]
        fds: tuple[int, ...] = ()
        if self._seccomp is not None:
            fds = (filter_fd(self._seccomp),)
            args += ["--seccomp", str(fds[0])]
        args += ["--", *self._tail_command(self.runtime.command(spec.argv))]
        launch = Launch(
            command=args,
            env=dict(_LAUNCH_ENV),
            cwd=Path("/"),
            isolation="bwrap",
            signals_as_exit_codes=True,
            pass_fds=fds,
        )
        try:
            return execute(launch, box, spec, s)
        finally:
            for fd in fds:
                os.close(fd)


@functools.lru_cache(maxsize=8)
def _check_usable(bwrap: str, static: tuple[str, ...], tail: tuple[str, ...]) -> None:
    """Start an empty sandbox once; a host without namespaces fails here, clearly."""
    cmd = [bwrap, *static, "--remount-ro", "/", "--", *tail]
    try:
        out = subprocess.run(cmd, env=_LAUNCH_ENV, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxUnavailable(f"bubblewrap cannot start ({exc}); {INSTALL_HINT}") from exc
    if out.returncode != 0:
        msg = out.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise SandboxUnavailable(
            f"bubblewrap is installed but cannot create a sandbox here ({msg[0]}); "
            "it needs unprivileged user namespaces or root. " + INSTALL_HINT
        )
