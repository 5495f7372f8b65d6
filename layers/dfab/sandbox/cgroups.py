"""Per-run cgroups: hard memory and process limits, exact accounting, complete teardown.

A run gets its own child cgroup under the cgroup this process already lives in (the
subtree a process manager may use), in cgroup v1 (one directory per controller) or v2
(one unified directory). Anything not writable is simply not used: the caller falls
back to rlimits and the result says so.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

_V1_CONTROLLERS = ("memory", "pids", "cpuacct")
#: Run cgroup directories this process created and has not removed yet.
_LIVE: set[Path] = set()
_LIVE_LOCK = threading.Lock()


def live_cgroups() -> set[Path]:
    """Cgroup directories of runs of this process still present (diagnostics, tests)."""
    with _LIVE_LOCK:
        return {d for d in _LIVE if d.exists()}


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
    except OSError:
        return False
    return True


def _keyed(text: str | None, key: str) -> int:
    """Value of `key N` in a flat-keyed cgroup file (oom_control, pids.events ...)."""
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            with contextlib.suppress(ValueError):
                return int(parts[1])
    return 0


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(mount root, mount point, fs type, super options) of every cgroup mount."""
    out = []
    for line in (_read(Path("/proc/self/mountinfo")) or "").splitlines():
        pre, _, post = line.partition(" - ")
        fields, posts = pre.split(), post.split()
        if len(fields) < 5 or len(posts) < 3 or posts[0] not in ("cgroup", "cgroup2"):
            continue
        out.append((fields[3], fields[4], posts[0], set(posts[2].split(","))))
    return out


def _own_paths() -> dict[str, str]:
    """controller (or '' for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    out: dict[str, str] = {}
    for line in (_read(Path("/proc/self/cgroup")) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for ctrl in parts[1].split(",") if parts[1] else [""]:
            out[ctrl] = parts[2]
    return out


def _join(mount_root: str, mount_point: str, own: str) -> Path | None:
    """The directory of cgroup `own` inside a mount whose root is `mount_root`."""
    if mount_root != "/" and not (own == mount_root or own.startswith(mount_root + "/")):
        return None
    rel = own[len(mount_root) :] if mount_root != "/" else own
    return Path(mount_point) / rel.lstrip("/")


@dataclass
class RunCgroup:
    """The cgroup directories of one run and what they can tell about it."""

    version: Literal[1, 2]
    dirs: dict[str, Path] = field(default_factory=dict)

    @property
    def has_memory(self) -> bool:
        return "memory" in self.dirs

    @property
    def has_pids(self) -> bool:
        return "pids" in self.dirs

    def procs_files(self) -> list[Path]:
        return [d / "cgroup.procs" for d in {str(d): d for d in self.dirs.values()}.values()]

    def pids(self) -> set[int]:
        found: set[int] = set()
        for f in self.procs_files():
            for line in (_read(f) or "").split():
                with contextlib.suppress(ValueError):
                    found.add(int(line))
        return found

    def peak_memory_bytes(self) -> int | None:
        d = self.dirs.get("memory")
        if d is None:
            return None
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        text = _read(d / name)
        return int(text) if text and text.strip().isdigit() else None

    def oom_kills(self) -> int:
        d = self.dirs.get("memory")
        if d is None:
            return 0
        if self.version == 1:
            kills = _keyed(_read(d / "memory.oom_control"), "oom_kill")
            if kills:
                return kills
            failcnt = (_read(d / "memory.failcnt") or "0").strip()
            return 1 if failcnt.isdigit() and int(failcnt) > 0 and self._under_oom() else 0
        return _keyed(_read(d / "memory.events"), "oom_kill")

    def _under_oom(self) -> bool:
        d = self.dirs["memory"]
        return _keyed(_read(d / "memory.oom_control"), "under_oom") > 0

    def memory_limit_hits(self) -> int:
        """How often allocations hit the limit (v1 failcnt / v2 `max` events)."""
        d = self.dirs.get("memory")
        if d is None:
            return 0
        if self.version == 1:
            text = (_read(d / "memory.failcnt") or "0").strip()
            return int(text) if text.isdigit() else 0
        return _keyed(_read(d / "memory.events"), "max")

    def pids_limit_hits(self) -> int:
        d = self.dirs.get("pids")
        return _keyed(_read(d / "pids.events"), "max") if d is not None else 0

    def cpu_seconds(self) -> float | None:
        if self.version == 1:
            d = self.dirs.get("cpuacct")
            text = _read(d / "cpuacct.usage") if d is not None else None
            return int(text) / 1e9 if text and text.strip().isdigit() else None
        d = self.dirs.get("memory") or self.dirs.get("pids")
        usec = _keyed(_read(d / "cpu.stat"), "usage_usec") if d is not None else 0
        return usec / 1e6 if usec else None

    def kill_all(self, timeout_s: float = 5.0) -> bool:
        """SIGKILL every process in the run's cgroups until none is left."""
        if self.version == 2:
            for d in set(self.dirs.values()):
                _write(d / "cgroup.kill", "1")
        deadline = time.monotonic() + timeout_s
        while True:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)

    def remove(self) -> None:
        """Remove the run's directories (after `kill_all`); retried while the kernel drains."""
        for d in {str(d): d for d in self.dirs.values()}.values():
            for _ in range(100):
                try:
                    d.rmdir()
                    _forget(d)
                    break
                except FileNotFoundError:
                    _forget(d)
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY:
                        break
                    self.kill_all(0.1)
                    time.sleep(0.005)


def _remember(d: Path) -> None:
    with _LIVE_LOCK:
        _LIVE.add(d)


def _forget(d: Path) -> None:
    with _LIVE_LOCK:
        _LIVE.discard(d)


def _create_v1(name: str, memory_bytes: int, max_pids: int) -> RunCgroup | None:
    own = _own_paths()
    cg = RunCgroup(version=1)
    for root, point, fstype, opts in _mounts():
        if fstype != "cgroup":
            continue
        for ctrl in _V1_CONTROLLERS:
            if ctrl not in opts or ctrl in cg.dirs or ctrl not in own:
                continue
            base = _join(root, point, own[ctrl])
            if base is None or not os.access(base, os.W_OK):
                continue
            d = base / name
            try:
                d.mkdir()
            except OSError:
                continue
            _remember(d)
            ok = True
            if ctrl == "memory":
                ok = _write(d / "memory.limit_in_bytes", str(memory_bytes))
                if ok and (d / "memory.memsw.limit_in_bytes").exists():
                    ok = _write(d / "memory.memsw.limit_in_bytes", str(memory_bytes))
                _write(d / "memory.swappiness", "0")
            elif ctrl == "pids":
                ok = _write(d / "pids.max", str(max_pids))
            if ok:
                cg.dirs[ctrl] = d
            else:
                with contextlib.suppress(OSError):
                    d.rmdir()
                    _forget(d)
    return cg if cg.dirs else None


def _create_v2(name: str, memory_bytes: int, max_pids: int) -> RunCgroup | None:
    own = _own_paths().get("")
    if own is None:
        return None
    for root, point, fstype, _ in _mounts():
        if fstype != "cgroup2":
            continue
        base = _join(root, point, own)
        if base is None:
            continue
        enabled = set((_read(base / "cgroup.subtree_control") or "").split())
        if not {"memory", "pids"} <= enabled or not os.access(base, os.W_OK):
            continue
        d = base / name
        try:
            d.mkdir()
        except OSError:
            continue
        _remember(d)
        if not (
            _write(d / "memory.max", str(memory_bytes)) and _write(d / "pids.max", str(max_pids))
        ):
            with contextlib.suppress(OSError):
                d.rmdir()
                _forget(d)
            continue
        _write(d / "memory.swap.max", "0")
        return RunCgroup(version=2, dirs={"memory": d, "pids": d, "cpu": d})
    return None


def create_run_cgroup(memory_bytes: int, max_pids: int) -> RunCgroup | None:
    """A fresh cgroup for one run with the limits applied, or None where none is writable.

    v1 controllers are preferred when mounted (hybrid hosts often mount a v2 hierarchy
    without the memory controller next to them).
    """
    name = f"dfab-{uuid.uuid4().hex[:16]}"
    return _create_v1(name, memory_bytes, max_pids) or _create_v2(name, memory_bytes, max_pids)
