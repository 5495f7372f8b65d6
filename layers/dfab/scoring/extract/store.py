"""The one pass over a dataset, and everything it leaves behind for the signals.

Every conversation is sketched (content and skeleton MinHash, vectorized over Arrow
buffers) so duplicates are searched in the whole dataset. A seeded sample of them
(`scoring.analysis_sample`, seed = submission id; all of a normal-sized dataset, plus
every conversation the sandbox verified) is read in full: each is turned into a
`ConversationAnalysis`, handed to every per-conversation signal's `measure`, and
dropped, so memory holds small measures rather than conversations. A measure that
raises is recorded as a zero with the error's name: a crafted line can lower its own
score, never skip a check.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from datasketch import MinHashLSH

from dfab.scoring.extract import sketches
from dfab.scoring.extract.analysis import ConversationAnalysis
from dfab.scoring.extract.batches import SourceBatch, iter_conversations, iter_parquet
from dfab.scoring.extract.schemas import SchemaJudge

if TYPE_CHECKING:
    from dfab.scoring.signal import ScoringInput

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Measure:
    """One signal's reading of one conversation.

    `value` is None when the signal does not apply (no tool calls, no reasoning...).
    `flag` names a red flag: the conversation is unfit for training and loses its
    credit (integrity.clean_share). `data` carries small extras for dataset-level use.
    """

    value: float | None
    reason: str = ""
    flag: str | None = None
    data: Any = None


class Measuring(Protocol):
    name: str

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure: ...


def unit_hash(*parts: str) -> float:
    """A uniform number in [0, 1) from strings (sha256; never Python's salted hash())."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


@dataclass(frozen=True)
class Duplicates:
    """Near-duplicate and same-structure clusters over the whole dataset."""

    content_leader: np.ndarray  # index of the earlier conversation this one duplicates (or self)
    structure_leader: np.ndarray  # for content leaders: the first of its structure cluster
    credit: np.ndarray  # what each conversation counts for, in [0, 1]
    cap: int  # conversations one structure earns credit for
    content_index: BandIndex  # content leaders, for probe queries


class BandIndex:
    """MinHash LSH: signatures cut into b bands of r rows; equal bands make candidates.

    The (b, r) split is datasketch's own (`MinHashLSH(threshold, num_perm)` chooses it
    to balance false positives and negatives at the threshold); the band keys are
    computed for all signatures at once with numpy, which is what keeps a 20,000-line
    dataset's duplicate search well under a second.
    """

    def __init__(self, signatures: np.ndarray, threshold: float) -> None:
        lsh = MinHashLSH(threshold=threshold, num_perm=sketches.NUM_PERM)
        self.b, self.r = lsh.b, lsh.r
        self.threshold = threshold
        self.signatures = signatures
        self.keys = band_keys(signatures, self.b, self.r).tolist()
        self.tables: list[dict[int, list[int]]] = [{} for _ in range(self.b)]
        #: Leaders that shared no band with anything: indexed only if a probe asks.
        self.deferred: list[int] = []

    def candidates(self, keys: list[int]) -> set[int]:
        found: set[int] = set()
        for table, key in zip(self.tables, keys, strict=True):
            hit = table.get(key)
            if hit:
                found.update(hit)
        return found

    def insert(self, i: int) -> None:
        for table, key in zip(self.tables, self.keys[i], strict=True):
            table.setdefault(key, []).append(i)

    def best_match(self, sig: np.ndarray, keys: list[int]) -> tuple[int, float]:
        """The most similar indexed signature at or above the threshold (ties: earliest)."""
        if self.deferred:
            for i in self.deferred:
                self.insert(i)
            self.deferred = []
        best, best_j = -1, -1.0
        for cand in sorted(self.candidates(keys)):
            j = sketches.jaccard(self.signatures[cand], sig)
            if j >= self.threshold and j > best_j:
                best, best_j = cand, j
        return best, best_j


def band_keys(signatures: np.ndarray, b: int, r: int) -> np.ndarray:
    """(n, b) uint64 keys: a hash of each band of r signature values."""
    n = len(signatures)
    keys = np.zeros((n, b), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(b):
            band = signatures[:, k * r : (k + 1) * r].astype(np.uint64)
            h = np.full(n, np.uint64(k + 1), dtype=np.uint64)
            for col in range(r):
                h = h * np.uint64(0x100000001B3) + band[:, col]
                h ^= h >> np.uint64(31)
            keys[:, k] = h
    return keys


def cluster(
    signatures: np.ndarray, threshold: float, members: Sequence[int]
) -> tuple[np.ndarray, BandIndex]:
    """Greedy leader clustering in dataset order (deterministic).

    Each conversation joins the most similar earlier leader whose estimated Jaccard
    reaches `threshold` (ties: the earliest), else becomes a leader. Only leaders are
    indexed, so a dataset of copies costs one lookup per line, not a quadratic scan; and
    a conversation that shares no band with any other is a leader without a lookup.
    """
    leader = np.arange(len(signatures), dtype=np.int64)
    index = BandIndex(signatures, threshold)
    order = np.asarray(list(members), dtype=np.int64)
    if len(order) == 0:
        return leader, index
    keys = np.asarray(index.keys, dtype=np.uint64)[order]
    shared = np.zeros(len(order), dtype=bool)
    for k in range(index.b):
        _, inverse, counts = np.unique(keys[:, k], return_inverse=True, return_counts=True)
        shared |= counts[inverse] > 1
    for i in order[shared].tolist():
        best, _ = index.best_match(signatures[i], index.keys[i])
        if best < 0:
            index.insert(i)
        else:
            leader[i] = best
    index.deferred = order[~shared].tolist()  # can match nothing here; a probe may ask
    return leader, index


class FeatureStore:
    """Sketches of all conversations, measures of the analysed ones."""

    def __init__(self, data: ScoringInput, measuring: Sequence[Measuring]) -> None:
        self.data = data
        self.settings = data.settings.scoring
        self.judge = SchemaJudge()
        self.ids: list[str] = []
        self.analysed: list[int] = []
        self.measures: dict[str, list[Measure]] = {m.name: [] for m in measuring}
        self.errors = 0
        expected = data.facts.valid_lines
        budget = self.settings.analysis_sample
        self.sample_rate = 1.0 if expected <= budget else budget / expected
        self.seed = data.submission_id or "dfab"
        self.forced = _verified_ids(data.verification)
        contents: list[np.ndarray] = []
        skeletons: list[np.ndarray] = []
        for batch in self._source():
            content, skeleton = sketches.signatures(batch.texts)
            contents.append(content)
            skeletons.append(skeleton)
            rows = [k for k, cid in enumerate(batch.ids) if self._selected(cid)]
            for k, view in zip(rows, batch.view(rows), strict=True):
                self._analyse(ConversationAnalysis(view), measuring)
                self.analysed.append(len(self.ids) + k)
            self.ids.extend(batch.ids)
        empty = np.zeros((0, sketches.NUM_PERM), dtype=np.uint32)
        self.content = np.vstack(contents) if contents else empty
        self.skeleton = np.vstack(skeletons) if skeletons else empty

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def sampled(self) -> bool:
        return len(self.analysed) < self.n

    def _source(self) -> Iterator[SourceBatch]:
        if self.data.parquet is not None:
            return iter_parquet(self.data.parquet)
        return iter_conversations(self.data.iter_conversations())

    def _selected(self, conversation_id: str) -> bool:
        if self.sample_rate >= 1.0 or conversation_id in self.forced:
            return True
        return unit_hash(self.seed, "analysis", conversation_id) < self.sample_rate

    def _analyse(self, a: ConversationAnalysis, measuring: Sequence[Measuring]) -> None:
        for signal in measuring:
            try:
                m = signal.measure(a, self)
            except Exception as exc:  # a scorer bug must not let a line skip a check
                log.warning("signal %s failed on %s: %r", signal.name, a.id, exc)
                self.errors += 1
                m = Measure(0.0, f"could not be analysed ({type(exc).__name__})")
            self.measures[signal.name].append(m)

    def analysed_ids(self) -> list[str]:
        return [self.ids[i] for i in self.analysed]

    @cached_property
    def duplicates(self) -> Duplicates:
        """Content near-duplicates first; then structure clusters among what is left."""
        sc = self.settings
        n = self.n
        content_leader, content_index = cluster(self.content, sc.near_duplicate_jaccard, range(n))
        leaders = [i for i in range(n) if content_leader[i] == i]
        structure_leader, _ = cluster(self.skeleton, sc.structure_jaccard, leaders)
        cap = max(sc.structure_cap_min, math.ceil(sc.structure_cap_fraction * n))
        sizes: dict[int, int] = {}
        for i in leaders:
            root = int(structure_leader[i])
            sizes[root] = sizes.get(root, 0) + 1
        credit = np.zeros(n, dtype=np.float64)
        for i in leaders:
            credit[i] = min(1.0, cap / sizes[int(structure_leader[i])])
        return Duplicates(content_leader, structure_leader, credit, cap, content_index)


def _verified_ids(verification: dict[str, Any] | None) -> frozenset[str]:
    """Conversations the sandbox ran: always analysed, so their blocks are judged too."""
    if not verification:
        return frozenset()
    ids = set(verification.get("sample_ids") or [])
    for r in verification.get("results") or []:
        if isinstance(r, dict) and isinstance(r.get("conversation_id"), str):
            ids.add(r["conversation_id"])
    return frozenset(ids)


def probe_signatures(data: ScoringInput) -> tuple[list[str], np.ndarray] | None:
    """Content signatures of the probe generation (a second, small run with another seed)."""
    if data.probe is None:
        return None
    ids: list[str] = []
    sigs: list[np.ndarray] = []
    for batch in iter_conversations(data.probe()):
        ids.extend(batch.ids)
        sigs.append(sketches.signatures(batch.texts)[0])
    empty = np.zeros((0, sketches.NUM_PERM), dtype=np.uint32)
    return ids, (np.vstack(sigs) if sigs else empty)
