"""Turn what was observed about a finished run into one exit reason.

Kept pure (facts in, reason out) so every rule is unit-tested without running anything.
Order matters: a limit the supervisor enforced itself is certain; kernel evidence (OOM
kills, limit counters, rlimit signals) comes next; the harness's own stderr is only a
hint used when the run failed anyway, so a harness can never talk itself into `ok`.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

from dfab.sandbox.result import ExitReason

_SIGXCPU = int(signal.SIGXCPU)
_SIGXFSZ = int(signal.SIGXFSZ)
_SIGKILL = int(signal.SIGKILL)


@dataclass(frozen=True)
class RunFacts:
    """Everything the classifier may look at."""

    exit_code: int | None
    signal: int | None
    enforced: ExitReason | None = None  # a limit the supervisor stopped the run for
    enforced_detail: str = ""
    oom_kills: int = 0
    memory_rlimit: bool = False
    pids_limit_hits: int = 0
    nproc_rlimit: bool = False
    cpu_s: float | None = None
    cpu_limit_s: float = 0.0
    stderr_tail: str = ""
    workdir_full: bool = False
    output_state: str = "unwatched"  # "unwatched", "regular", "missing" or what it is instead
    output_bytes: int | None = None
    max_output_bytes: int = 0


def _hint(tail: str, *needles: str) -> bool:
    return any(n in tail for n in needles)


def _failed(f: RunFacts) -> tuple[ExitReason, str] | None:
    """Reason for a run that did not exit 0 (None: it did)."""
    if f.signal is None and f.exit_code == 0:
        return None
    what = f"killed by signal {f.signal}" if f.signal else f"exited with status {f.exit_code}"
    if f.oom_kills > 0:
        return "memory_limit", f"{what}: out of memory (the kernel's OOM killer stopped it)"
    if f.signal == _SIGXCPU or (
        f.signal == _SIGKILL and f.cpu_s is not None and f.cpu_s >= f.cpu_limit_s > 0
    ):
        return "cpu_limit", f"{what}: CPU time limit ({f.cpu_limit_s:g} s) reached"
    if f.signal == _SIGXFSZ:
        return "output_limit", f"{what}: file size limit reached"
    tail = f.stderr_tail
    if _hint(tail, "MemoryError", "Cannot allocate memory", "[Errno 12]") and (
        f.memory_rlimit or f.oom_kills
    ):
        return "memory_limit", f"{what}: memory limit reached (allocation failed)"
    if _hint(tail, "File too large", "[Errno 27]"):
        return "output_limit", f"{what}: file size limit reached (EFBIG)"
    if f.workdir_full or (_hint(tail, "No space left on device", "[Errno 28]")):
        return "output_limit", f"{what}: work directory size limit reached"
    if f.pids_limit_hits > 0 or (
        f.nproc_rlimit and _hint(tail, "Resource temporarily unavailable", "[Errno 11]")
    ):
        return "process_limit", f"{what}: process limit reached (fork failed)"
    if _hint(tail, "Too many open files", "[Errno 24]"):
        return "open_files_limit", f"{what}: open files limit reached"
    if f.signal is not None:
        return "killed", what
    return "exit_code", what


def classify(f: RunFacts) -> tuple[ExitReason, str]:
    """(exit_reason, one-sentence detail) of a finished run."""
    if f.enforced is not None:
        return f.enforced, f.enforced_detail
    failed = _failed(f)
    if failed is not None:
        return failed
    if f.output_state == "unwatched":
        return "ok", "exited 0"
    if f.output_state == "missing":
        return "output_invalid", "exited 0 but wrote no output file"
    if f.output_state != "regular":
        return "output_invalid", f"the output is not a regular file ({f.output_state})"
    if f.output_bytes is not None and f.output_bytes > f.max_output_bytes > 0:
        return "output_limit", (
            f"the output file has {f.output_bytes} bytes, over the {f.max_output_bytes}-byte limit"
        )
    return "ok", "exited 0"
