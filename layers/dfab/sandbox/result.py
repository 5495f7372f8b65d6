"""What one sandboxed run produced: how it ended, what it used, the tails of its output.

The exit reason is the one classification every caller (generation, verification, the
result documents) relies on; `memory_enforcement` says which mechanism bounded memory,
so a result never claims a guarantee the host could not give.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ExitReason = Literal[
    "ok",
    "exit_code",
    "timeout",
    "cpu_limit",
    "memory_limit",
    "process_limit",
    "open_files_limit",
    "output_limit",
    "output_invalid",
    "killed",
]
MemoryEnforcement = Literal["cgroup_v1", "cgroup_v2", "rlimit_as", "none"]
ProcessEnforcement = Literal["cgroup_v1", "cgroup_v2", "rlimit_nproc", "none"]
WorkdirEnforcement = Literal["tmpfs", "poll"]
Isolation = Literal["bwrap", "container", "none"]

#: Exit reasons that mean a configured limit stopped the run.
LIMIT_REASONS: frozenset[str] = frozenset(
    {"cpu_limit", "memory_limit", "process_limit", "open_files_limit", "output_limit"}
)


class SandboxResult(BaseModel):
    """The outcome of one run; `detail` explains the exit reason in one sentence."""

    model_config = ConfigDict(frozen=True)

    exit_reason: ExitReason
    detail: str = ""
    exit_code: int | None = Field(None, description="Process exit status, None if signaled.")
    signal: int | None = Field(None, description="Terminating signal number, if any.")
    duration_s: float
    cpu_s: float | None = None
    peak_memory_mb: float | None = None
    memory_enforcement: MemoryEnforcement
    process_enforcement: ProcessEnforcement
    workdir_enforcement: WorkdirEnforcement
    isolation: Isolation
    stdout_tail: str = ""
    stderr_tail: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    output_bytes: int | None = Field(None, description="Size of the watched output file.")
    workdir_bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.exit_reason == "ok"
