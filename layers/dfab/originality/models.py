"""Public results of the originality checks (what reports, the CLI and disputes show)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["clean", "suspicious", "plagiarized"]
LEVELS: tuple[Level, ...] = ("clean", "suspicious", "plagiarized")


def level_rank(level: Level) -> int:
    return LEVELS.index(level)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class SubmissionRef(_Model):
    """Who submitted what, when: the order key decides who was first."""

    submission_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")
    hotkey: str = Field(min_length=1, max_length=128)
    created_at: str = Field(description="ISO 8601 UTC; earlier wins, then the smaller id.")

    @property
    def order(self) -> tuple[str, str]:
        return (self.created_at, self.submission_id)

    def member(self) -> str:
        """Compact form stored in index buckets: sorts by time, then id."""
        return f"{self.created_at}|{self.submission_id}|{self.hotkey}"

    @classmethod
    def from_member(cls, text: str) -> SubmissionRef:
        created_at, sid, hotkey = text.split("|", 2)
        return cls(submission_id=sid, hotkey=hotkey, created_at=created_at)


class CodeRange(_Model):
    path: str
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.path}:{self.start}-{self.end}"


class MatchedRegion(_Model):
    """Code of one harness found again in the other (lines are inclusive)."""

    query: CodeRange
    candidate: CodeRange
    fingerprints: int = Field(description="Shared fingerprints inside the region.")


class PairScore(_Model):
    """Exact comparison of two fingerprint sets after base and common code is removed."""

    similarity: float = Field(description="Jaccard: shared / union.")
    containment: float = Field(description="max(containment_query, containment_candidate).")
    containment_query: float = Field(description="Share of the query found in the candidate.")
    containment_candidate: float = Field(
        description="Share of the candidate found in the query (copy and extend)."
    )
    shared: int
    query_fingerprints: int
    candidate_fingerprints: int
    excluded_base: int = Field(description="Fingerprints dropped as published example code.")
    excluded_common: int = Field(
        0, description="Shared fingerprints discounted as common to many miners (estimated)."
    )
    level: Level
    regions: list[MatchedRegion] = Field(default_factory=list)


class HarnessMatch(_Model):
    candidate: SubmissionRef
    own: bool = Field(description="Same hotkey: a resubmission, never plagiarism.")
    score: PairScore


class OriginalityVerdict(_Model):
    """The harness verdict for one submission, against the earliest matching other miner."""

    submission_id: str
    hotkey: str
    verdict: Level
    similarity: float = 0.0
    containment: float = 0.0
    against: SubmissionRef | None = None
    score: PairScore | None = None
    exact_match: bool = False
    fingerprints: int = Field(0, description="Own fingerprints after base exclusion.")
    candidates_checked: int = 0
    message: str
    matches: list[HarnessMatch] = Field(default_factory=list)


class ConversationMatch(_Model):
    index: int = Field(description="Line index of the conversation in this dataset.")
    kind: Literal["exact", "near"]
    source: SubmissionRef
    source_index: int
    jaccard: float


class DatasetOriginality(_Model):
    """Share of a dataset's conversations first seen in other miners' earlier datasets."""

    submission_id: str
    hotkey: str
    conversations: int = Field(description="Conversations in the dataset.")
    checked: int = Field(description="Conversations checked (a fixed sample when large).")
    exact_duplicates: int
    near_duplicates: int
    duplicate_share: float = Field(ge=0, le=1)
    sources: dict[str, int] = Field(
        default_factory=dict, description="Earlier submission id -> conversations copied from it."
    )
    examples: list[ConversationMatch] = Field(default_factory=list)


class OriginalityValue(_Model):
    """The scorer's originality component in [0, 1] and why."""

    value: float = Field(ge=0, le=1)
    harness_factor: float = Field(ge=0, le=1)
    dataset_factor: float = Field(ge=0, le=1)
    evidence: dict[str, object] = Field(default_factory=dict)
