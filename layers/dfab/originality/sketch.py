"""MinHash signatures (datasketch) and their LSH band keys.

Sets of 64-bit fingerprints or shingle hashes are sketched with datasketch's MinHash
(fixed seed and scheme, so every validator computes the same values); a band key is a
hash of `rows` consecutive signature values. Two sets share a band key with probability
J^rows per band, which is the LSH candidate test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache

import numpy as np
from datasketch import MinHash

from dfab.originality.params import MINHASH_SEED

_LOW32 = 0xFFFFFFFF


def _low32(value: int) -> int:
    """Inputs are already uniform 64-bit hashes: their low half is a fine 32-bit hash."""
    return value & _LOW32


@cache
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """The permutation parameters for `num_perm` (drawn once: they cost more than hashing)."""
    a, b = MinHash(num_perm=num_perm, seed=MINHASH_SEED, scheme="affine32").permutations
    return a, b


def minhash(values: Iterable[int], num_perm: int) -> MinHash:
    m = MinHash(
        num_perm=num_perm,
        seed=MINHASH_SEED,
        hashfunc=_low32,
        scheme="affine32",
        permutations=_permutations(num_perm),
    )
    batch = list(values)
    if batch:
        m.update_batch(batch)
    return m


def band_keys(signature: MinHash | np.ndarray, bands: int, rows: int) -> list[str]:
    """One key per band: `{band}#{16 hex digits}`."""
    values = signature.hashvalues if isinstance(signature, MinHash) else signature
    out: list[str] = []
    for b in range(bands):
        chunk = np.ascontiguousarray(values[b * rows : (b + 1) * rows], dtype="<u4").tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8).hexdigest()
        out.append(f"{b:02d}#{digest}")
    return out


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Share of equal signature positions: the MinHash estimate of Jaccard similarity."""
    if len(a) == 0 or len(a) != len(b):
        return 0.0
    return float(np.count_nonzero(a == b)) / len(a)
