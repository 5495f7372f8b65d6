"""Run sampled `verification` blocks (CONTRACTS.md §3) in the sandbox, one box each.

Each block gets a fresh empty directory holding its `files`, runs its `command` there
with the same isolation and interpreter as generation, and passes when the exit code
equals `expect_exit_code` within its timeout (the block's `timeout_s`, capped by
config). A total wall budget bounds the whole task; blocks it leaves no time for are
reported `skipped`, never silently dropped.
"""

from __future__ import annotations

import time
from pathlib import PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dfab.contracts.dataset import Verification
from dfab.generation.run import now_iso
from dfab.sandbox import Box, RunSpec, Sandbox, SandboxResult, get_sandbox
from dfab.sandbox.result import ExitReason
from dfab.settings import Settings

Outcome = Literal["pass", "fail", "timeout", "error", "skipped"]
RUN_DIR = "run"
#: Below this much budget left, a block is skipped rather than started.
MIN_BLOCK_S = 1.0


class BlockResult(BaseModel):
    """How one conversation's verification block fared."""

    model_config = ConfigDict(frozen=True)

    conversation_id: str
    outcome: Outcome
    detail: str = ""
    exit_reason: ExitReason | None = None
    exit_code: int | None = None
    expect_exit_code: int = 0
    timeout_s: float = 0
    duration_s: float = 0.0
    stdout_tail: str = ""
    stderr_tail: str = ""


class VerificationReport(BaseModel):
    """All sampled blocks of one submission (schema v1)."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = 1
    started_at: str
    finished_at: str
    total_s: float
    budget_s: float
    results: list[BlockResult] = Field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def pass_rate(self) -> float | None:
        """Share of blocks that ran and passed (skipped ones excluded); None if none ran."""
        ran = [r for r in self.results if r.outcome != "skipped"]
        return sum(r.outcome == "pass" for r in ran) / len(ran) if ran else None

    def summary(self) -> dict[str, int]:
        return {o: self.count(o) for o in ("pass", "fail", "timeout", "error", "skipped")}

    def dump(self) -> dict[str, object]:
        """The stored document: the blocks plus flat counts for readers and renderers."""
        data = self.model_dump(mode="json")
        summary = self.summary()
        data["summary"] = summary
        data.update(
            passed=summary["pass"],
            failed=summary["fail"],
            timeout=summary["timeout"],
            errors=summary["error"],
            skipped=summary["skipped"],
            pass_rate=self.pass_rate,
        )
        return data


def _write_files(box: Box, files: dict[str, str]) -> None:
    root = box.path / RUN_DIR
    root.mkdir()
    for rel, content in files.items():
        target = root.joinpath(*PurePosixPath(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


def _outcome(res: SandboxResult, expect: int) -> tuple[Outcome, str]:
    if res.exit_reason == "timeout":
        return "timeout", res.detail
    if res.exit_reason in ("ok", "exit_code") and res.exit_code is not None:
        if res.exit_code == expect:
            return "pass", f"exit code {res.exit_code} as expected"
        return "fail", f"exit code {res.exit_code}, expected {expect}"
    return "error", f"{res.exit_reason}: {res.detail}"


def run_block(
    sandbox: Sandbox, conversation_id: str, block: Verification, timeout_s: float
) -> BlockResult:
    """Run one block in its own fresh box."""
    with sandbox.box() as box:
        try:
            _write_files(box, block.files)
        except (OSError, ValueError) as exc:
            return BlockResult(
                conversation_id=conversation_id,
                outcome="error",
                detail=f"its files cannot be laid out: {exc}",
                expect_exit_code=block.expect_exit_code,
                timeout_s=timeout_s,
            )
        res = sandbox.run(box, RunSpec(argv=block.command, cwd=RUN_DIR, wall_timeout_s=timeout_s))
    outcome, detail = _outcome(res, block.expect_exit_code)
    return BlockResult(
        conversation_id=conversation_id,
        outcome=outcome,
        detail=detail,
        exit_reason=res.exit_reason,
        exit_code=res.exit_code,
        expect_exit_code=block.expect_exit_code,
        timeout_s=timeout_s,
        duration_s=res.duration_s,
        stdout_tail=res.stdout_tail,
        stderr_tail=res.stderr_tail,
    )


def run_verification_blocks(
    blocks: list[tuple[str, Verification]],
    settings: Settings,
    sandbox: Sandbox | None = None,
) -> VerificationReport:
    """Run `(conversation_id, block)` pairs in order within the configured wall budget."""
    cfg = settings.verification
    sb = sandbox if sandbox is not None else get_sandbox(settings.sandbox)
    started_iso, started = now_iso(), time.monotonic()
    results: list[BlockResult] = []
    for conv_id, block in blocks:
        remaining = cfg.max_total_s - (time.monotonic() - started)
        timeout = float(min(block.timeout_s, cfg.max_block_timeout_s, sb.settings.wall_timeout_s))
        if remaining < MIN_BLOCK_S:
            results.append(
                BlockResult(
                    conversation_id=conv_id,
                    outcome="skipped",
                    detail=f"the verification budget of {cfg.max_total_s} s was used up",
                    expect_exit_code=block.expect_exit_code,
                    timeout_s=timeout,
                )
            )
            continue
        results.append(run_block(sb, conv_id, block, min(timeout, remaining)))
    return VerificationReport(
        started_at=started_iso,
        finished_at=now_iso(),
        total_s=round(time.monotonic() - started, 3),
        budget_s=cfg.max_total_s,
        results=results,
    )
