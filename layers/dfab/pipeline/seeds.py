"""Seeds derived from the submission id, so every validator makes the same choices."""

from __future__ import annotations

import hashlib

from dfab.settings import Settings


def derive_seed(submission_id: str, purpose: str) -> int:
    """A 63-bit seed from the submission id and what it is for."""
    digest = hashlib.sha256(f"{purpose}:{submission_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def generation_seed(submission_id: str, settings: Settings) -> int:
    fixed = settings.generation.seed
    return fixed if fixed is not None else derive_seed(submission_id, "generation")


def probe_seed(seed: int) -> int:
    """The probe run's seed: derived from the main seed, never equal to it."""
    derived = derive_seed(str(seed), "probe")
    return derived if derived != seed else derived ^ 1
