"""MinHash signatures of conversations, for content and for structure, computed in bulk.

Two shingle sets per conversation, both over what the agent and the user say and do:
user and assistant messages, reasoning, and call arguments (the head of each, up to
SKETCH_CAP characters; tool results are the environment's, not the agent's):

- *content*: word 5-grams of the lower-cased text. Near-duplicates share most of them.
- *skeleton*: the token sequence with every content word replaced by one placeholder
  and every number by another; function words ("the", "of", "if"), language keywords
  ("def", "return", "func"), punctuation and line breaks are kept; cut into 8-token
  windows. A template whose words are swapped at random keeps its skeleton exactly,
  which is why random word swaps defeat content MinHash but not this one.

Hashing runs in numpy over whole Arrow string buffers (words hashed from strided
8-byte reads, windows combined polynomially; no per-token Python), and only a fixed,
content-defined fraction of the shingles (plus the first of each message) enter the
MinHash, which estimates Jaccard similarity just as well at a fraction of the cost.
Signatures use datasketch's `affine32` scheme with a fixed seed:
`MinHash(num_perm, seed=SEED, hashfunc=identity).update_batch(hashes)` gives the same
values (a unit test checks it), and datasketch's `MinHashLSH` chooses the band layout
(see store.BandIndex). Everything is deterministic: no Python `hash()`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from datasketch import MinHash

from dfab.scoring.extract.text import CODE_KEYWORDS, STOPWORDS

NUM_PERM = 64
SEED = 20_251_125
SCHEME = "affine32"
WORD_SHINGLE = 5
SKELETON_SHINGLE = 8
#: Keep shingles whose hash has these low bits all zero (1 in 16).
CONTENT_SAMPLE_MASK = np.uint64(15)
SKELETON_SAMPLE_MASK = np.uint64(15)
#: Bytes hashed per numpy step; bounds temporary memory whatever the batch size.
CHUNK_BYTES = 4 << 20
#: Characters of one message (or call's arguments) that enter the sketches: the head.
SKETCH_CAP = 2048

_BASE = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = np.uint32(0xFFFFFFFF)

_WORDCHAR = np.zeros(256, dtype=bool)
for _c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":
    _WORDCHAR[_c] = True
_WORDCHAR[128:] = True  # UTF-8 bytes of non-ASCII letters stay inside words
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0") : ord("9") + 1] = True
#: Byte classes: 0 blank, 1 word, 2 mark (punctuation and the line break: skeleton tokens).
_CLASS = np.full(256, 2, dtype=np.uint8)
_CLASS[_WORDCHAR] = 1
for _c in b" \t\r\x0b\x0c":
    _CLASS[_c] = 0


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    a, b = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
    return a.astype(np.uint32), b.astype(np.uint32)


_PERM_A, _PERM_B = _permutations()


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer, as datasketch applies it before its affine permutations."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


@dataclass
class TextBatch:
    """Strings of a batch of conversations: one array per source, each string's owner."""

    strings: list[pa.Array]  # string/large_string arrays, nulls allowed
    owners: list[np.ndarray]  # int64 conversation index (within the batch) per string
    size: int  # conversations in the batch


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(data bytes, offsets relative to data) of a string array, each string capped."""
    arr = pc.utf8_slice_codeunits(pc.fill_null(arr, ""), 0, SKETCH_CAP)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    offsets = offsets.astype(np.int64)
    if bufs[2] is None or len(arr) == 0:
        return np.zeros(0, dtype=np.uint8), np.zeros(len(arr) + 1, dtype=np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data, offsets - offsets[0]


def _chunks(offsets: np.ndarray) -> list[tuple[int, int]]:
    """Element ranges whose text stays under CHUNK_BYTES (one huge element alone)."""
    out = []
    n = len(offsets) - 1
    i = 0
    while i < n:
        j = int(np.searchsorted(offsets, offsets[i] + CHUNK_BYTES, side="right")) - 1
        j = min(max(j, i + 1), n)
        out.append((i, j))
        i = j
    return out


def _avalanche(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(29)
        h *= _MIX
        h ^= h >> np.uint64(32)
    return h


def _windows(
    seq: np.ndarray, owner: np.ndarray, k: int, mask: np.uint64
) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the sampled k-windows of `seq` that stay inside one element.

    A window is sampled when the hash of its first two values has the `mask` bits zero
    (content-defined, so the same window is sampled in every text that has it), and the
    first window of each element always is. Only sampled windows are ever combined.
    """
    n = len(seq) - k + 1
    if n <= 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    with np.errstate(over="ignore"):
        pair = _avalanche(seq[:n] * _BASE + seq[1 : n + 1])
    first = np.ones(n, dtype=bool)
    first[1:] = owner[1:n] != owner[: n - 1]
    at = np.flatnonzero(((pair & mask) == 0) | first)
    at = at[owner[at] == owner[at + k - 1]]
    with np.errstate(over="ignore"):
        h = seq[at].copy()
        for j in range(1, k):
            h = h * _BASE + seq[at + j]
    return _avalanche(h), owner[at]


def _keep_hashes() -> np.ndarray:
    """Hashes of the words a skeleton keeps (function words and keywords), sorted."""
    words = sorted(w.lower() for w in STOPWORDS | CODE_KEYWORDS if w.isidentifier())
    blob = np.frombuffer(" ".join(words).encode(), dtype=np.uint8)
    lengths = np.array([len(w) for w in words])
    starts = np.cumsum(np.r_[0, lengths[:-1] + 1])
    return np.unique(_word_hashes(blob, starts, starts + lengths))


_WORD_TOKEN = np.uint64(0x5157_0000_0000_0001)
_NUMBER_TOKEN = np.uint64(0x5157_0000_0000_0002)


def _owners(offsets: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Element index of each (sorted) byte position, in O(positions + elements)."""
    counts = np.diff(np.searchsorted(positions, offsets))
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), counts)


def _word_hashes(text: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A case-insensitive 64-bit hash of each word from its length, first and last 8 bytes.

    Reading 8 bytes at any offset is one strided gather, so words are hashed without a
    pass over every byte; OR-ing 0x20 into every byte folds ASCII case (it also maps `_`
    and a few non-ASCII bytes together, consistently, which is harmless here). Two words
    collide only if they also agree on length and both ends (17+ characters differing
    only inside): harmless for shingling.
    """
    padded = np.zeros(len(text) + 16, dtype=np.uint8)
    padded[8 : 8 + len(text)] = text
    wide = np.ndarray(shape=(len(text) + 8,), dtype="<u8", buffer=padded, strides=(1,))
    length = (ends - starts).astype(np.uint64)
    keep = np.minimum(length, np.uint64(8)) * np.uint64(8)
    with np.errstate(over="ignore"):
        head = wide[starts + 8] | _CASE
        head &= np.where(
            keep >= 64,
            np.uint64(0xFFFFFFFFFFFFFFFF),
            (np.uint64(1) << (keep & np.uint64(63))) - np.uint64(1),
        )
        tail = np.where(length > 8, wide[ends] | _CASE, np.uint64(0))  # bytes [end-8, end)
        h = head * _MIX ^ _avalanche(tail + length * np.uint64(0x9E37))
    return _avalanche(h)


_CASE = np.uint64(0x2020202020202020)


def _owners(offsets: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Element index of each (sorted) byte position, in O(positions + elements)."""
    counts = np.diff(np.searchsorted(positions, offsets))
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), counts)


def _word_hashes(text: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each word from its length, first 8 and last 8 bytes.

    Reading 8 bytes at any offset is one strided gather, so words are hashed without a
    pass over every byte. Two words collide only if they also agree on length and both
    ends (17+ characters differing only inside): harmless for shingling.
    """
    padded = np.zeros(len(text) + 16, dtype=np.uint8)
    padded[8 : 8 + len(text)] = text
    wide = np.ndarray(shape=(len(text) + 8,), dtype="<u8", buffer=padded, strides=(1,))
    length = (ends - starts).astype(np.uint64)
    head = wide[starts + 8]
    keep = np.minimum(length, np.uint64(8)) * np.uint64(8)
    with np.errstate(over="ignore"):
        head_mask = np.where(
            keep >= 64,
            np.uint64(0xFFFFFFFFFFFFFFFF),
            (np.uint64(1) << (keep & np.uint64(63))) - np.uint64(1),
        )
        head &= head_mask
        tail = np.where(length > 8, wide[ends], np.uint64(0))  # bytes [end-8, end)
        h = head * _MIX ^ _avalanche(tail + length * np.uint64(0x9E37))
    return _avalanche(h)


def _owners(offsets: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Element index of each (sorted) byte position, in O(positions + elements)."""
    counts = np.diff(np.searchsorted(positions, offsets))
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), counts)


def _word_bounds(isw: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of word runs, never spanning two elements."""
    edges = np.diff(isw.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    inner = offsets[1:-1]
    inner = inner[(inner > 0) & (inner < len(isw))]
    split = np.unique(inner[isw[inner] & isw[inner - 1]])
    if len(split):
        starts = np.sort(np.concatenate([starts, split]))
        ends = np.sort(np.concatenate([ends, split]))
    return starts, ends


def _shingles(
    data: np.ndarray, offsets: np.ndarray
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((content hashes, element), (skeleton hashes, element)) of a chunk of elements."""
    empty = (np.zeros(0, np.uint64), np.zeros(0, np.int64))
    if len(data) == 0:
        return empty, empty
    cls = _CLASS[data]
    isw = cls == 1
    starts, ends = _word_bounds(isw, offsets)
    word_h = _word_hashes(data, starts, ends)
    word_owner = _owners(offsets, starts)
    content = _windows(word_h, word_owner, WORD_SHINGLE, CONTENT_SAMPLE_MASK)
    tok = np.where(_KEEP_TABLE[word_h & _KEEP_MASK] == word_h, word_h, _WORD_TOKEN)
    tok[_DIGIT[data[starts]]] = _NUMBER_TOKEN
    chosen = cls == 2
    chosen[starts] = True
    pos = np.flatnonzero(chosen)  # word starts and marks, in text order
    is_word = isw[pos]
    seq = np.empty(len(pos), dtype=np.uint64)
    seq[is_word] = tok
    seq[~is_word] = data[pos[~is_word]].astype(np.uint64) + np.uint64(1)
    skeleton = _windows(seq, _owners(offsets, pos), SKELETON_SHINGLE, SKELETON_SAMPLE_MASK)
    return content, skeleton


def signatures(batch: TextBatch) -> tuple[np.ndarray, np.ndarray]:
    """(content, skeleton) MinHash signatures, each (size, NUM_PERM) uint32."""
    content = np.full((batch.size, NUM_PERM), _EMPTY, dtype=np.uint32)
    skeleton = np.full((batch.size, NUM_PERM), _EMPTY, dtype=np.uint32)
    for arr, owners in zip(batch.strings, batch.owners, strict=True):
        data, offsets = _buffers(arr)
        for lo, hi in _chunks(offsets):
            sub = data[offsets[lo] : offsets[hi]]
            parts = _shingles(sub, offsets[lo : hi + 1] - offsets[lo])
            for sig, (h, elem) in zip((content, skeleton), parts, strict=True):
                if len(h):
                    conv = owners[lo:hi][elem]
                    if len(conv) > 1 and bool(np.any(conv[1:] < conv[:-1])):
                        order = np.argsort(conv, kind="stable")
                        conv, h = conv[order], h[order]
                    _fold(sig, conv, (h >> np.uint64(32)).astype(np.uint32))
    return content, skeleton


def _fold(sig: np.ndarray, conv: np.ndarray, hv: np.ndarray) -> None:
    """sig[c] = min(sig[c], minhash(values of c)) for non-decreasing conversation ids.

    One permutation at a time over a contiguous vector: reducing a (values x perms)
    matrix along its first axis is some 40 times slower in numpy.
    """
    if len(conv) == 0:
        return
    mixed = _fmix32(hv)
    first = np.flatnonzero(np.r_[True, conv[1:] != conv[:-1]])
    uniq = conv[first]
    mins = np.empty((len(first), NUM_PERM), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for p in range(NUM_PERM):
            mins[:, p] = np.minimum.reduceat(mixed * _PERM_A[p] + _PERM_B[p], first)
    sig[uniq] = np.minimum(sig[uniq], mins)


def signature_of_hashes(hashes: np.ndarray) -> np.ndarray:
    """The signature of one set of 32-bit shingle hashes (what datasketch would compute)."""
    sig = np.full((1, NUM_PERM), _EMPTY, dtype=np.uint32)
    if len(hashes):
        _fold(sig, np.zeros(len(hashes), dtype=np.int64), hashes.astype(np.uint32))
    return sig[0]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """MinHash estimate of the Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


def _keep_table(keep: np.ndarray) -> tuple[np.ndarray, np.uint64]:
    """A direct-mapped table of the kept words' hashes (no two share a slot)."""
    for bits in range(12, 24):
        mask = np.uint64((1 << bits) - 1)
        slots = keep & mask
        if len(np.unique(slots)) == len(keep):
            table = np.zeros(1 << bits, dtype=np.uint64)
            table[slots] = keep
            return table, mask
    raise RuntimeError("kept-word hashes collide in every table size")


_KEEP_TABLE, _KEEP_MASK = _keep_table(_keep_hashes())
