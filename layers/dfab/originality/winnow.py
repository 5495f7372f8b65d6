"""k-gram hashing and winnowing (Schleimer, Wilkerson, Aiken 2003), written for tokens.

Every k-gram of canonical tokens gets a 64-bit rolling hash; in every window of `w`
consecutive k-grams the minimum (rightmost on ties) is kept. Two properties make this
the right tool against edited copies: any shared run of at least k + w - 1 tokens
yields at least one shared fingerprint, and fingerprints depend only on local content,
so moving, padding or partially deleting code leaves the rest of them unchanged.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Sequence

_MASK = (1 << 64) - 1
_BASE = 0x100000001B3  # an odd 64-bit multiplier (FNV prime), any odd value works


def token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "big")


def mix64(x: int) -> int:
    """SplitMix64 finalizer: spreads a rolling hash evenly over all 64 bits."""
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & _MASK
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK
    return x ^ (x >> 31)


def kgram_hashes(values: Sequence[int], k: int) -> list[int]:
    """Rolling hash of every run of `k` consecutive values (empty if fewer than k)."""
    n = len(values)
    if n < k:
        return []
    top = pow(_BASE, k - 1, 1 << 64)
    h = 0
    for v in values[:k]:
        h = (h * _BASE + v) & _MASK
    out = [mix64(h)]
    for i in range(k, n):
        h = ((h - values[i - k] * top) * _BASE + values[i]) & _MASK
        out.append(mix64(h))
    return out


def winnow(hashes: Sequence[int], w: int) -> list[tuple[int, int]]:
    """(hash, position) of the selected fingerprints, in position order."""
    n = len(hashes)
    if n == 0:
        return []
    if n <= w:
        best = min(range(n), key=lambda i: (hashes[i], -i))
        return [(hashes[best], best)]
    window: deque[int] = deque()
    out: list[tuple[int, int]] = []
    last = -1
    for i, h in enumerate(hashes):
        while window and hashes[window[-1]] >= h:
            window.pop()
        window.append(i)
        if window[0] <= i - w:
            window.popleft()
        if i >= w - 1 and window[0] != last:
            last = window[0]
            out.append((hashes[last], last))
    return out


def whole_hash(values: Sequence[int]) -> int:
    """One fingerprint for a run too short for a k-gram."""
    h = 0
    for v in values:
        h = (h * _BASE + v) & _MASK
    return mix64(h ^ len(values))
