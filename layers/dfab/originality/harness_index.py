"""`HarnessIndex`: the persistent index of accepted harnesses and its candidate queries.

A harness is indexed by its *own* fingerprints (base code removed), three ways:
MinHash LSH bands (datasketch signatures, 42 bands of 3 rows) find harnesses with a
similar fingerprint set; the exact canonical hash finds verbatim-equivalent copies;
and an inverted index over a fixed 1-in-8 sample of fingerprints finds harnesses
*contained* in a larger one (copy and extend, where Jaccard is low) and counts how many
miners share each sampled fingerprint (code common to many miners does not count).
Candidates are then scored exactly against the stored fingerprint records.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from dfab.originality.base import base_fingerprints
from dfab.originality.dynamo_store import DynamoStore
from dfab.originality.fingerprint import HarnessFingerprint
from dfab.originality.models import OriginalityVerdict, SubmissionRef
from dfab.originality.params import (
    BUCKET_MEMBERS_CAP,
    HARNESS_BANDS,
    HARNESS_NUM_PERM,
    HARNESS_ROWS,
    SAMPLE_MEMBERS_CAP,
    SAMPLE_MOD,
)
from dfab.originality.sketch import band_keys, minhash
from dfab.originality.store import Member, MemoryStore, SimilarityStore, decode_members


def sampled(fingerprints: frozenset[int] | set[int]) -> list[int]:
    """The fixed sample of fingerprints the inverted index holds."""
    return sorted(f for f in fingerprints if f % SAMPLE_MOD == 0)


def _band(key: str) -> str:
    return f"h#b#{key}"


def _exact(digest: str) -> str:
    return f"h#x#{digest}"


def _sample(fp: int) -> str:
    return f"h#f#{fp:016x}"


def _record(sid: str) -> str:
    return f"h#s#{sid}"


def _verdict(sid: str) -> str:
    return f"h#v#{sid}"


@dataclass(frozen=True)
class Candidate:
    """An indexed harness that may match: how it was found and how strongly."""

    member: Member
    band_hits: int = 0
    sample_hits: int = 0
    exact: bool = False

    @property
    def rank(self) -> tuple[int, float, int]:
        containment = self.sample_hits / self.member.size if self.member.size else 0.0
        return (int(self.exact), max(self.band_hits / HARNESS_BANDS, containment), self.sample_hits)


@dataclass
class CandidateSet:
    """Candidates of one query plus the sampled-fingerprint entries read to find them."""

    candidates: list[Candidate]
    sample_entries: dict[int, list[Member]]

    def common(self, min_hotkeys: int) -> set[int]:
        """Sampled fingerprints already held by `min_hotkeys` miners (or a full entry)."""
        out: set[int] = set()
        for fp, members in self.sample_entries.items():
            hotkeys = {m.ref.hotkey for m in members}
            if len(hotkeys) >= min_hotkeys or len(members) >= SAMPLE_MEMBERS_CAP:
                out.add(fp)
        return out


class HarnessIndex:
    """Accepted harnesses, persisted in a `SimilarityStore` (DynamoDB on AWS)."""

    def __init__(self, store: SimilarityStore, base: frozenset[int] | None = None) -> None:
        self.store = store
        self.base = base_fingerprints() if base is None else base

    @classmethod
    def for_resources(cls, resources: Any, table: str | None = None) -> HarnessIndex:
        return cls(DynamoStore.from_resources(resources, table))

    @classmethod
    def in_memory(cls, base: frozenset[int] | None = None) -> HarnessIndex:
        return cls(MemoryStore(), base)

    def own(self, fp: HarnessFingerprint) -> frozenset[int]:
        """The harness's own fingerprints: everything but the base code."""
        return fp.distinct - self.base

    def _keys(self, own: frozenset[int]) -> list[str]:
        if not own:
            return []
        return [
            _band(k) for k in band_keys(minhash(own, HARNESS_NUM_PERM), HARNESS_BANDS, HARNESS_ROWS)
        ]

    # ------------------------------------------------------------------ writing

    def add(self, ref: SubmissionRef, fp: HarnessFingerprint) -> None:
        """Index an accepted harness (idempotent: adding it twice changes nothing)."""
        own = self.own(fp)
        sample = sampled(own)
        member = Member(ref, len(sample)).encode()
        self.store.put_blob(_record(ref.submission_id), fp.to_bytes())
        buckets = [_exact(fp.exact_hash), *self._keys(own)]
        self.store.add_members([(k, member) for k in buckets], BUCKET_MEMBERS_CAP)
        self.store.add_members([(_sample(f), member) for f in sample], SAMPLE_MEMBERS_CAP)

    def save_verdict(self, verdict: OriginalityVerdict) -> None:
        self.store.put_doc(_verdict(verdict.submission_id), verdict.model_dump(mode="json"))

    # ------------------------------------------------------------------ reading

    def candidates(self, fp: HarnessFingerprint) -> CandidateSet:
        """Indexed harnesses that may match `fp`, strongest first (any submitter, any time)."""
        own = self.own(fp)
        bands: Counter[str] = Counter()
        for values in self.store.members(self._keys(own)).values():
            bands.update(values)
        exact = self.store.members([_exact(fp.exact_hash)]).get(_exact(fp.exact_hash), set())
        entries: dict[int, list[Member]] = {}
        samples: Counter[str] = Counter()
        wanted = sampled(own)
        found = self.store.members([_sample(f) for f in wanted])
        for f in wanted:
            values = found.get(_sample(f))
            if values:
                entries[f] = decode_members(values)
                samples.update(values)
        out = []
        for encoded in set(bands) | set(samples) | exact:
            member = Member.decode(encoded)
            out.append(Candidate(member, bands[encoded], samples[encoded], encoded in exact))
        out.sort(key=lambda c: (tuple(-x for x in c.rank), c.member.ref.order))
        return CandidateSet(out, entries)

    def load(self, submission_id: str) -> HarnessFingerprint | None:
        blob = self.store.get_blob(_record(submission_id))
        return HarnessFingerprint.from_bytes(blob) if blob is not None else None

    def verdict(self, submission_id: str) -> OriginalityVerdict | None:
        doc = self.store.get_doc(_verdict(submission_id))
        return OriginalityVerdict.model_validate(doc) if doc is not None else None
