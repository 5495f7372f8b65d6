"""Verification runner: sampled `verification` blocks run in the sandbox (CONTRACTS.md §3)."""

from __future__ import annotations

from dfab.verification.runner import (
    BlockResult,
    VerificationReport,
    run_block,
    run_verification_blocks,
)

__all__ = ["BlockResult", "VerificationReport", "run_block", "run_verification_blocks"]
