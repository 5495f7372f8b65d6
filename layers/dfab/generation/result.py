"""The generation result document: what the Parse step and the miner read about a run.

Written to `results/<id>/generation.json` by the sandbox task on success *and* failure;
`failure_reason()` is the one mapping from how a run ended to a FAILED verdict's reason.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dfab.contracts.reasons import Reason, ReasonClass
from dfab.sandbox.result import LIMIT_REASONS, ExitReason, SandboxResult

#: `not_run`: the harness never started (unsafe archive, bad manifest, no sandbox).
GenerationExit = ExitReason | Literal["not_run"]
_EXCERPT_CHARS = 1500


def stderr_excerpt(tail: str, limit: int = _EXCERPT_CHARS) -> str:
    """The last lines of a tail that fit in `limit` characters."""
    text = tail.strip()
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    return "..." + cut[cut.find("\n") + 1 :] if "\n" in cut else "..." + cut


class GenerationResult(BaseModel):
    """One generation run, successful or not (schema v1)."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = 1
    exit_reason: GenerationExit
    detail: str = ""
    reason: Reason | None = Field(
        None, description="Why the run failed (same as failure_reason()), None on success."
    )
    seed: int
    count: int
    entrypoint: str | None = None
    started_at: str
    finished_at: str
    exit_code: int | None = None
    signal: int | None = None
    duration_s: float = 0.0
    cpu_s: float | None = None
    peak_memory_mb: float | None = None
    memory_enforcement: str | None = None
    process_enforcement: str | None = None
    workdir_enforcement: str | None = None
    isolation: str | None = None
    output_bytes: int | None = None
    output_lines: int | None = None
    output_sha256: str | None = None
    workdir_bytes: int | None = None
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    stdout_tail: str = ""
    stderr_tail: str = ""
    limits: dict[str, int | str | bool | None] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_reason == "ok"

    def failure_reason(self) -> Reason | None:
        """The FAILED verdict's reason, with a stderr excerpt the miner can act on."""
        if self.exit_reason == "ok":
            return None
        if self.reason is not None:
            return self.reason
        return failure_reason_for(self.exit_reason, self.detail, self.stderr_tail)

    def dump(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)


def failure_reason_for(exit_reason: GenerationExit, detail: str, stderr_tail: str) -> Reason:
    if exit_reason == "timeout":
        cls, lead = ReasonClass.HARNESS_TIMEOUT, "the harness ran out of time"
    elif exit_reason in LIMIT_REASONS:
        cls, lead = ReasonClass.HARNESS_LIMIT, "the harness hit a sandbox limit"
    elif exit_reason == "output_invalid":
        cls, lead = ReasonClass.HARNESS_NO_OUTPUT, "the harness produced no usable output file"
    elif exit_reason == "not_run":
        cls, lead = ReasonClass.INTERNAL, "the harness was not run"
    else:
        cls, lead = ReasonClass.HARNESS_EXIT, "the harness failed"
    message = f"{lead} ({exit_reason}): {detail}" if detail else f"{lead} ({exit_reason})"
    excerpt = stderr_excerpt(stderr_tail)
    if excerpt:
        message += f"; stderr ends with:\n{excerpt}"
    return Reason(reason_class=cls, message=message[:4000])


def from_sandbox(
    res: SandboxResult,
    *,
    seed: int,
    count: int,
    entrypoint: str,
    started_at: str,
    finished_at: str,
    limits: dict[str, int | str | bool | None],
    output_lines: int | None = None,
    output_sha256: str | None = None,
) -> GenerationResult:
    reason = None if res.ok else failure_reason_for(res.exit_reason, res.detail, res.stderr_tail)
    return GenerationResult(
        exit_reason=res.exit_reason,
        detail=res.detail,
        reason=reason,
        seed=seed,
        count=count,
        entrypoint=entrypoint,
        started_at=started_at,
        finished_at=finished_at,
        exit_code=res.exit_code,
        signal=res.signal,
        duration_s=res.duration_s,
        cpu_s=res.cpu_s,
        peak_memory_mb=res.peak_memory_mb,
        memory_enforcement=res.memory_enforcement,
        process_enforcement=res.process_enforcement,
        workdir_enforcement=res.workdir_enforcement,
        isolation=res.isolation,
        output_bytes=res.output_bytes,
        output_lines=output_lines,
        output_sha256=output_sha256,
        workdir_bytes=res.workdir_bytes,
        stdout_bytes=res.stdout_bytes,
        stderr_bytes=res.stderr_bytes,
        stdout_tail=res.stdout_tail,
        stderr_tail=res.stderr_tail,
        limits=limits,
    )


def not_run(
    reason: Reason, *, seed: int, count: int, started_at: str, finished_at: str
) -> GenerationResult:
    """The document for a run that never started (the reason says why)."""
    return GenerationResult(
        exit_reason="not_run",
        detail=reason.message,
        reason=reason,
        seed=seed,
        count=count,
        started_at=started_at,
        finished_at=finished_at,
    )
