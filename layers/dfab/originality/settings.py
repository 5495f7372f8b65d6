"""`originality:` section of the validator settings (verdict thresholds and value).

Kept free of imports from `dfab.settings` so that module can import this one. Only
thresholds live here: the fingerprint and index formats are fixed (`params.py`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class OriginalitySettings(BaseModel):
    """Harness and dataset originality: copy verdict thresholds and the originality value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    similarity_suspicious: float = Field(
        0.35, gt=0, le=1, description="Jaccard similarity of fingerprints that is suspicious."
    )
    similarity_plagiarized: float = Field(
        0.6, gt=0, le=1, description="Jaccard similarity that is plagiarism."
    )
    containment_suspicious: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Share of one harness's fingerprints found in the other that is suspicious.",
    )
    containment_plagiarized: float = Field(
        0.75, gt=0, le=1, description="Containment that is plagiarism (copy and extend)."
    )
    min_fingerprints: int = Field(
        40,
        ge=1,
        description="A harness with fewer own fingerprints (after base exclusion) gets no "
        "verdict, and containment in a harness this small does not count.",
    )
    min_shared: int = Field(
        30, ge=1, description="Fewest shared fingerprints for any verdict but clean."
    )
    common_min_hotkeys: int = Field(
        5, ge=2, description="A fingerprint seen in this many miners' harnesses is common code."
    )
    max_candidates: int = Field(
        25, ge=1, description="Index candidates scored exactly per harness query."
    )
    near_duplicate_jaccard: float = Field(
        0.5, gt=0, le=1, description="Conversation shingle Jaccard that counts as a near copy."
    )
    max_dataset_conversations: int = Field(
        2000, ge=1, description="Conversations per dataset checked and indexed (a fixed sample)."
    )
    suspicious_penalty: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Harness part of the originality value lost at the plagiarism threshold "
        "(linearly from 0 at the suspicious threshold).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> OriginalitySettings:
        if self.similarity_suspicious > self.similarity_plagiarized:
            raise ValueError("similarity_suspicious must not exceed similarity_plagiarized")
        if self.containment_suspicious > self.containment_plagiarized:
            raise ValueError("containment_suspicious must not exceed containment_plagiarized")
        return self
