"""`DatasetIndex`: which conversations were first seen in another miner's earlier dataset.

Every indexed conversation claims its exact-hash key (the key keeps only its earliest
occupant, by submission creation time) and joins the member sets of its 12 LSH band
keys (capped; the earliest members stay). So "first seen wins" holds whatever order
datasets are scored in. A conversation of a new dataset is a duplicate when the
earliest occupant of its exact key, or the earliest band member whose signature
confirms Jaccard >= `near_duplicate_jaccard`, belongs to another miner and is earlier;
a miner's own earlier conversations never count against them.

Known limit: a dataset scored before an earlier-created one was indexed is not
re-scored (its result is stored when it is scored).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from dfab.originality.conversations import ConversationSketch, sketch
from dfab.originality.dynamo_store import DynamoStore
from dfab.originality.models import ConversationMatch, DatasetOriginality, SubmissionRef
from dfab.originality.params import (
    DATASET_BANDS,
    DATASET_MEMBERS_CAP,
    DATASET_NUM_PERM,
    DATASET_ROWS,
)
from dfab.originality.settings import OriginalitySettings
from dfab.originality.sketch import band_keys, estimate_jaccard
from dfab.originality.store import Member, MemoryStore, SimilarityStore

_REPORTED_EXAMPLES = 20


def _exact(digest: str) -> str:
    return f"d#x#{digest}"


def _band(key: str) -> str:
    return f"d#b#{key}"


def _signatures(sid: str) -> str:
    return f"d#s#{sid}"


def _result(sid: str) -> str:
    return f"d#r#{sid}"


def _bands(s: ConversationSketch) -> list[str]:
    return [_band(k) for k in band_keys(s.signature, DATASET_BANDS, DATASET_ROWS)]


def _encode_signatures(sketches: list[ConversationSketch]) -> bytes:
    index = np.array([s.index for s in sketches], dtype="<u4")
    sigs = (
        np.stack([s.signature for s in sketches]).astype("<u4") if sketches else np.zeros(0, "<u4")
    )
    return zlib.compress(index.tobytes() + sigs.tobytes(), 6)


def _decode_signatures(blob: bytes) -> dict[int, np.ndarray]:
    raw = zlib.decompress(blob)
    width = 4 * (1 + DATASET_NUM_PERM)
    n = len(raw) // width
    index = np.frombuffer(raw[: 4 * n], dtype="<u4")
    sigs = np.frombuffer(raw[4 * n :], dtype="<u4").reshape(n, DATASET_NUM_PERM)
    return {int(i): sigs[k] for k, i in enumerate(index)}


def choose(sketches: list[ConversationSketch], limit: int) -> list[ConversationSketch]:
    """A fixed sample when a dataset is too large: smallest first signature value.

    Near-duplicate conversations share that value with probability equal to their
    Jaccard similarity, so a copy and its original tend to be sampled together.
    """
    if len(sketches) <= limit:
        return sketches
    return sorted(sketches, key=lambda s: (int(s.signature[0]), s.index))[:limit]


class DatasetIndex:
    """Datasets of scored submissions, persisted in a `SimilarityStore`."""

    def __init__(self, store: SimilarityStore, settings: OriginalitySettings) -> None:
        self.store = store
        self.settings = settings
        self._signature_cache: dict[str, dict[int, np.ndarray]] = {}

    @classmethod
    def for_resources(
        cls, resources: Any, settings: OriginalitySettings, table: str | None = None
    ) -> DatasetIndex:
        return cls(DynamoStore.from_resources(resources, table), settings)

    @classmethod
    def in_memory(cls, settings: OriginalitySettings) -> DatasetIndex:
        return cls(MemoryStore(), settings)

    def sketch_all(self, conversations: Iterable[Any]) -> tuple[int, list[ConversationSketch]]:
        sketches = [sketch(i, c) for i, c in enumerate(conversations)]
        return len(sketches), choose(sketches, self.settings.max_dataset_conversations)

    def _signatures_of(self, sid: str) -> dict[int, np.ndarray]:
        if sid not in self._signature_cache:
            blob = self.store.get_blob(_signatures(sid))
            self._signature_cache[sid] = _decode_signatures(blob) if blob else {}
        return self._signature_cache[sid]

    def _match(
        self,
        ref: SubmissionRef,
        s: ConversationSketch,
        firsts: dict[str, str],
        buckets: dict[str, set[str]],
    ) -> ConversationMatch | None:
        held = firsts.get(_exact(s.digest))
        if held is not None:
            occ = Member.decode(held)
            if occ.ref.order < ref.order:
                if occ.ref.hotkey == ref.hotkey:
                    return None
                return ConversationMatch(
                    index=s.index, kind="exact", source=occ.ref, source_index=occ.size, jaccard=1.0
                )
        members = {v for k in _bands(s) for v in buckets.get(k, ())}
        for occ in sorted((Member.decode(v) for v in members), key=lambda m: (m.ref.order, m.size)):
            if occ.ref.order >= ref.order:
                break
            other = self._signatures_of(occ.ref.submission_id).get(occ.size)
            if other is None:
                continue
            jaccard = estimate_jaccard(s.signature, other)
            if jaccard < self.settings.near_duplicate_jaccard:
                continue
            if occ.ref.hotkey == ref.hotkey:
                return None  # the miner's own earlier conversation: first seen is theirs
            return ConversationMatch(
                index=s.index, kind="near", source=occ.ref, source_index=occ.size, jaccard=jaccard
            )
        return None

    def check(
        self, ref: SubmissionRef, conversations: Iterable[Any]
    ) -> tuple[DatasetOriginality, list[ConversationSketch]]:
        """The result for `ref`'s dataset against earlier datasets (nothing is written)."""
        total, chosen = self.sketch_all(conversations)
        firsts = self.store.firsts([_exact(s.digest) for s in chosen])
        buckets = self.store.members(sorted({k for s in chosen for k in _bands(s)}))
        matches = [m for s in chosen if (m := self._match(ref, s, firsts, buckets)) is not None]
        sources = Counter(m.source.submission_id for m in matches)
        exact = sum(1 for m in matches if m.kind == "exact")
        result = DatasetOriginality(
            submission_id=ref.submission_id,
            hotkey=ref.hotkey,
            conversations=total,
            checked=len(chosen),
            exact_duplicates=exact,
            near_duplicates=len(matches) - exact,
            duplicate_share=round(len(matches) / len(chosen), 4) if chosen else 0.0,
            sources=dict(sources.most_common()),
            examples=matches[:_REPORTED_EXAMPLES],
        )
        return result, chosen

    def add(self, ref: SubmissionRef, chosen: list[ConversationSketch]) -> None:
        """Index the conversations (idempotent; earlier occupants are never replaced)."""
        self.store.put_blob(_signatures(ref.submission_id), _encode_signatures(chosen))
        claims: dict[str, str] = {}
        for s in chosen:
            value = Member(ref, s.index).encode()
            key = _exact(s.digest)
            if key not in claims or value < claims[key]:
                claims[key] = value
        self.store.claim_first(claims)
        pairs = [(k, Member(ref, s.index).encode()) for s in chosen for k in _bands(s)]
        self.store.add_members(pairs, DATASET_MEMBERS_CAP)

    def check_and_add(self, ref: SubmissionRef, conversations: Iterable[Any]) -> DatasetOriginality:
        """What the scoring step calls: judge, store the result, index the dataset."""
        result, chosen = self.check(ref, conversations)
        self.store.put_doc(_result(ref.submission_id), result.model_dump(mode="json"))
        self.add(ref, chosen)
        return result

    def result(self, submission_id: str) -> DatasetOriginality | None:
        doc = self.store.get_doc(_result(submission_id))
        return DatasetOriginality.model_validate(doc) if doc is not None else None
