"""The generation step: run a harness in the sandbox and describe the run (CONTRACTS.md §2)."""

from __future__ import annotations

from dfab.generation.result import GenerationResult, failure_reason_for, not_run
from dfab.generation.run import OUTPUT_REL, read_entrypoint, run_generation

__all__ = [
    "OUTPUT_REL",
    "GenerationResult",
    "failure_reason_for",
    "not_run",
    "read_entrypoint",
    "run_generation",
]
