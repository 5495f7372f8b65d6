"""Where the similarity index lives: a small key-value protocol and its in-memory form.

The indexes need four operations, all idempotent so a retried step does no harm:
member sets per key (LSH buckets, exact hashes, sampled fingerprints), capped so a
degenerate key cannot grow without bound while its earliest members are kept; a
"first occupant" per key (dataset buckets: the earliest conversation wins); chunked
binary records (fingerprints, signatures); and small JSON documents (verdicts,
results). `DynamoStore` implements the same protocol on the SimilarityIndexTable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from dfab.originality.models import SubmissionRef


@dataclass(frozen=True)
class Member:
    """A submission as stored in a set: sorts by time, then id; carries a size."""

    ref: SubmissionRef
    size: int = 0

    def encode(self) -> str:
        r = self.ref
        return f"{r.created_at}|{r.submission_id}|{self.size}|{r.hotkey}"

    @classmethod
    def decode(cls, text: str) -> Member:
        created_at, sid, size, hotkey = text.split("|", 3)
        return cls(
            SubmissionRef(submission_id=sid, hotkey=hotkey, created_at=created_at), int(size)
        )


class SimilarityStore(Protocol):
    def add_members(self, pairs: Sequence[tuple[str, str]], cap: int) -> None:
        """Add each (key, member) to the set at key (a full set is left as it is)."""

    def members(self, keys: Sequence[str]) -> dict[str, set[str]]:
        """The sets at `keys` (absent keys are left out)."""

    def claim_first(self, items: Mapping[str, str]) -> None:
        """Store each value unless the key already holds a smaller (earlier) one."""

    def firsts(self, keys: Sequence[str]) -> dict[str, str]:
        """The occupant of each key (absent keys are left out)."""

    def put_blob(self, key: str, blob: bytes) -> None: ...

    def get_blob(self, key: str) -> bytes | None: ...

    def put_doc(self, key: str, doc: dict[str, Any]) -> None: ...

    def get_doc(self, key: str) -> dict[str, Any] | None: ...


@dataclass
class MemoryStore:
    """The protocol on dicts: tests, the benchmark and one-off comparisons."""

    sets: dict[str, set[str]] = field(default_factory=dict)
    first: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_members(self, pairs: Sequence[tuple[str, str]], cap: int) -> None:
        for key, member in pairs:
            bucket = self.sets.setdefault(key, set())
            if len(bucket) < cap:
                bucket.add(member)

    def members(self, keys: Sequence[str]) -> dict[str, set[str]]:
        return {k: set(self.sets[k]) for k in keys if k in self.sets}

    def claim_first(self, items: Mapping[str, str]) -> None:
        for key, value in items.items():
            held = self.first.get(key)
            if held is None or value < held:
                self.first[key] = value

    def firsts(self, keys: Sequence[str]) -> dict[str, str]:
        return {k: self.first[k] for k in keys if k in self.first}

    def put_blob(self, key: str, blob: bytes) -> None:
        self.blobs[key] = bytes(blob)

    def get_blob(self, key: str) -> bytes | None:
        return self.blobs.get(key)

    def put_doc(self, key: str, doc: dict[str, Any]) -> None:
        self.docs[key] = dict(doc)

    def get_doc(self, key: str) -> dict[str, Any] | None:
        doc = self.docs.get(key)
        return dict(doc) if doc is not None else None


def decode_members(values: Iterable[str]) -> list[Member]:
    return sorted((Member.decode(v) for v in values), key=lambda m: m.ref.order)
