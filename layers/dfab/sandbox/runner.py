"""Start one prepared command under limits, watch it, tear everything down, classify.

Shared by every backend; a backend only decides *what* command runs (bwrap, or the
interpreter directly) and how stray processes are found. The start is gated: the
child is a tiny `/bin/sh` that waits on its stdin until this process has applied the
rlimits (`prlimit`) and put it into the run's cgroups, so no process of the run ever
exists outside them. Supervisor memory stays bounded: output is read in chunks and
only a tail of each stream is kept.
"""

from __future__ import annotations

import contextlib
import os
import resource
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dfab.sandbox.box import MAX_BOX_ENTRIES, Box
from dfab.sandbox.cgroups import RunCgroup, create_run_cgroup
from dfab.sandbox.classify import RunFacts, classify
from dfab.sandbox.fs import NotRegularFile, open_regular, tree_usage
from dfab.sandbox.result import ExitReason, Isolation, SandboxResult
from dfab.settings import SandboxSettings

MIB = 1024 * 1024
POLL_S = 0.05
#: How often the (more expensive) work-dir size walk runs.
WALK_EVERY_S = 0.25
#: The gate: wait for "go" from the supervisor on stdin, then become the command.
GATE = 'read -r _ || exit 125; exec "$@" </dev/null'


@dataclass(frozen=True)
class RunSpec:
    """What to run in a box. `argv[0] == "python"` is the sandbox runtime interpreter."""

    argv: Sequence[str]
    cwd: str = ""
    env: dict[str, str] = field(default_factory=dict)
    wall_timeout_s: float | None = None
    watch_file: str | None = None  # relative to the box: the output, capped at max_output_mb


@dataclass
class Launch:
    """A backend's prepared command and how to treat it."""

    command: list[str]
    env: dict[str, str]
    cwd: Path
    isolation: Isolation
    signals_as_exit_codes: bool = False  # bwrap reports a signal death as 128+N
    sweep: Callable[[], None] | None = None  # finds processes that escaped the group
    nproc_baseline: int = 0
    use_cgroups: bool = True
    pass_fds: tuple[int, ...] = ()


class _Tail:
    """Last `cap` bytes of a stream, plus its total size."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.buf = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.buf += chunk
        if len(self.buf) > 2 * self.cap:
            del self.buf[: len(self.buf) - self.cap]

    def text(self) -> str:
        return bytes(self.buf[-self.cap :]).decode("utf-8", errors="replace")


def _rlimits(
    limits: SandboxSettings, cg: RunCgroup | None, nproc_baseline: int
) -> list[tuple[int, tuple[int, int]]]:
    cpu = limits.cpu_time_s
    file_cap = max(limits.max_workdir_mb, limits.max_output_mb) * MIB
    out = [
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_NOFILE, (limits.max_open_files, limits.max_open_files)),
        (resource.RLIMIT_FSIZE, (file_cap, file_cap)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]
    if cg is None or not cg.has_memory:
        out.append((resource.RLIMIT_AS, (limits.memory_mb * MIB, limits.memory_mb * MIB)))
    if cg is None or not cg.has_pids:
        n = limits.max_processes + nproc_baseline
        out.append((resource.RLIMIT_NPROC, (n, n)))
    return [(res, _within_own_hard_limit(res, soft, hard)) for res, (soft, hard) in out]


def _within_own_hard_limit(res: int, soft: int, hard: int) -> tuple[int, int]:
    """Clamp to our own hard limit: raising one needs CAP_SYS_RESOURCE (e.g. task ulimits)."""
    own = resource.getrlimit(res)[1]
    if own == resource.RLIM_INFINITY:
        return soft, hard
    return min(soft, own), min(hard, own)


def _decode_status(status: int, via_exit_code: bool) -> tuple[int | None, int | None]:
    """(exit_code, signal) of a wait status; bwrap turns signal N into exit 128+N."""
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    code = os.WEXITSTATUS(status)
    if via_exit_code and 128 < code < 128 + 65:
        return None, code - 128
    return code, None


def _output_state(box: Box, rel: str | None) -> tuple[str, int | None]:
    if rel is None:
        return "unwatched", None
    try:
        with open_regular(box.path, rel) as fd:
            return "regular", os.fstat(fd).st_size
    except NotRegularFile as exc:
        text = str(exc)
        return ("missing" if "does not exist" in text else text), None


class _Watch:
    """One run in flight: the process, its streams, its limits."""

    def __init__(self, launch: Launch, box: Box, spec: RunSpec, limits: SandboxSettings) -> None:
        self.launch, self.box, self.spec, self.limits = launch, box, spec, limits
        self.out = _Tail(limits.tail_bytes)
        self.err = _Tail(limits.tail_bytes)
        self.enforced: ExitReason | None = None
        self.enforced_detail = ""
        self.cg: RunCgroup | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.status: int | None = None
        self.rusage: resource.struct_rusage | None = None
        self.workdir_bytes = 0
        self.workdir_full = False

    # ------------------------------------------------------------------ start
    def start(self) -> None:
        limits = self.limits
        if self.launch.use_cgroups and limits.use_cgroups:
            self.cg = create_run_cgroup(limits.memory_mb * MIB, limits.max_processes)
        go_r, go_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                ["/bin/sh", "-c", GATE, "dfab-gate", *self.launch.command],
                stdin=go_r,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.launch.env,
                cwd=self.launch.cwd,
                start_new_session=True,
                close_fds=True,
                pass_fds=self.launch.pass_fds,
            )
        except BaseException:
            os.close(go_w)
            raise
        finally:
            os.close(go_r)
        self.started = time.monotonic()
        try:
            pid = self.proc.pid
            for res, value in _rlimits(limits, self.cg, self.launch.nproc_baseline):
                resource.prlimit(pid, res, value)
            if self.cg is not None:
                for f in self.cg.procs_files():
                    f.write_text(str(pid))
            os.write(go_w, b"go\n")
        except BaseException:
            self._kill()
            self._reap(block=True)
            self._cleanup()
            raise
        finally:
            os.close(go_w)

    # ------------------------------------------------------------------ watch
    def _stop(self, reason: ExitReason, detail: str) -> None:
        if self.enforced is None:
            self.enforced, self.enforced_detail = reason, detail
        self._kill()

    def _kill(self) -> None:
        if self.proc is not None and self.status is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self.cg is not None:
            self.cg.kill_all(2.0)
        if self.launch.sweep is not None:
            self.launch.sweep()

    def _reap(self, *, block: bool = False) -> None:
        assert self.proc is not None
        if self.status is not None:
            return
        try:
            pid, status, ru = os.wait4(self.proc.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            self.status = 0
            return
        if pid:
            self.status, self.rusage = status, ru
            self.proc.returncode = os.waitstatus_to_exitcode(status)

    def _check_limits(self, now: float, last_walk: float) -> float:
        limits, spec = self.limits, self.spec
        wall = spec.wall_timeout_s if spec.wall_timeout_s is not None else limits.wall_timeout_s
        if now - self.started > wall:
            self._stop("timeout", f"wall-clock limit of {wall:g} s reached")
            return last_walk
        log_cap = limits.max_log_mb * MIB
        if self.out.total + self.err.total > log_cap:
            self._stop("output_limit", f"printed over {limits.max_log_mb} MiB to stdout/stderr")
            return last_walk
        if self.cg is not None:
            cpu = self.cg.cpu_seconds()
            if cpu is not None and cpu > limits.cpu_time_s:
                self._stop("cpu_limit", f"used over {limits.cpu_time_s} CPU-seconds in total")
                return last_walk
        if now - last_walk >= WALK_EVERY_S:
            self._measure_workdir()
            if self.workdir_full and not self.box.tmpfs:
                self._stop(
                    "output_limit", f"wrote over {limits.max_workdir_mb} MiB to its directory"
                )
            elif spec.watch_file is not None:
                _, size = _output_state(self.box, spec.watch_file)
                if size is not None and size > limits.max_output_mb * MIB:
                    self._stop("output_limit", f"output file over {limits.max_output_mb} MiB")
            return now
        return last_walk

    def _measure_workdir(self) -> None:
        cap = self.limits.max_workdir_mb * MIB
        used = self.box.used_bytes()
        if used is not None:
            self.workdir_bytes = used
            # A tmpfs box is enforced by the kernel; "full" is judged with a page of slack.
            self.workdir_full = used >= cap - 64 * 1024
            return
        used, entries = tree_usage(self.box.path, max_entries=MAX_BOX_ENTRIES)
        self.workdir_bytes = used
        self.workdir_full = used > cap or entries >= MAX_BOX_ENTRIES

    def watch(self) -> None:
        """Pump the streams and enforce limits until the run is over and drained.

        Runs until the main process has exited *and* both pipes are closed (or stay
        open for a second after the teardown, held by something outside our reach). A
        run that closes its pipes early is still watched: limits apply until it exits.
        """
        assert self.proc is not None and self.proc.stdout and self.proc.stderr
        sel = selectors.DefaultSelector()
        streams = {self.proc.stdout.fileno(): self.out, self.proc.stderr.fileno(): self.err}
        for fd in streams:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        last_walk = 0.0
        exited_at: float | None = None
        try:
            while True:
                if streams:
                    self._pump(sel, streams)
                else:
                    time.sleep(POLL_S)
                now = time.monotonic()
                self._reap()
                if self.status is None:
                    last_walk = self._check_limits(now, last_walk)
                    continue
                if exited_at is None:
                    exited_at = now
                    self._kill()  # the main process is gone: nothing of the run may stay
                if not streams or now - exited_at > 1.0:
                    break
        finally:
            sel.close()
        self._reap(block=True)

    @staticmethod
    def _pump(sel: selectors.BaseSelector, streams: dict[int, _Tail]) -> None:
        for key, _ in sel.select(POLL_S):
            fd = int(key.fd)
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if chunk:
                streams[fd].add(chunk)
            else:
                sel.unregister(fd)
                del streams[fd]

    # ------------------------------------------------------------------ finish
    def _cleanup(self) -> None:
        if self.cg is not None:
            self.cg.kill_all(5.0)
            self.cg.remove()
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()

    def result(self) -> SandboxResult:
        assert self.status is not None
        duration = time.monotonic() - self.started
        cg, limits = self.cg, self.limits
        exit_code, sig = _decode_status(self.status, self.launch.signals_as_exit_codes)
        cpu = cg.cpu_seconds() if cg is not None else None
        if cpu is None and self.rusage is not None:
            cpu = self.rusage.ru_utime + self.rusage.ru_stime
        peak = cg.peak_memory_bytes() if cg is not None else None
        peak_mb = peak / MIB if peak is not None else None
        if peak_mb is None and self.rusage is not None:
            peak_mb = self.rusage.ru_maxrss / 1024  # the largest single process, in KiB
        self._measure_workdir()
        state, size = _output_state(self.box, self.spec.watch_file)
        facts = RunFacts(
            exit_code=exit_code,
            signal=sig,
            enforced=self.enforced,
            enforced_detail=self.enforced_detail,
            oom_kills=cg.oom_kills() if cg is not None else 0,
            memory_rlimit=cg is None or not cg.has_memory,
            pids_limit_hits=cg.pids_limit_hits() if cg is not None else 0,
            nproc_rlimit=cg is None or not cg.has_pids,
            cpu_s=cpu,
            cpu_limit_s=float(limits.cpu_time_s),
            stderr_tail=self.err.text(),
            workdir_full=self.workdir_full,
            output_state=state,
            output_bytes=size,
            max_output_bytes=limits.max_output_mb * MIB,
        )
        reason, detail = classify(facts)
        mem_kind = "rlimit_as" if cg is None or not cg.has_memory else f"cgroup_v{cg.version}"
        pid_kind = "rlimit_nproc" if cg is None or not cg.has_pids else f"cgroup_v{cg.version}"
        return SandboxResult(
            exit_reason=reason,
            detail=detail,
            exit_code=exit_code,
            signal=sig,
            duration_s=round(duration, 4),
            cpu_s=round(cpu, 4) if cpu is not None else None,
            peak_memory_mb=round(peak_mb, 2) if peak_mb is not None else None,
            memory_enforcement=mem_kind,  # type: ignore[arg-type]
            process_enforcement=pid_kind,  # type: ignore[arg-type]
            workdir_enforcement="tmpfs" if self.box.tmpfs else "poll",
            isolation=self.launch.isolation,
            stdout_tail=self.out.text(),
            stderr_tail=self.err.text(),
            stdout_bytes=self.out.total,
            stderr_bytes=self.err.total,
            output_bytes=size,
            workdir_bytes=self.workdir_bytes,
        )


def execute(launch: Launch, box: Box, spec: RunSpec, limits: SandboxSettings) -> SandboxResult:
    """Run `launch` to completion under `limits`; everything it started is gone on return."""
    w = _Watch(launch, box, spec, limits)
    w.start()
    try:
        w.watch()
    except BaseException:
        w._kill()
        with contextlib.suppress(Exception):
            w._reap(block=True)
        w._cleanup()
        raise
    try:
        return w.result()
    finally:
        w._cleanup()
