"""Bounded gzip decoding: every member in turn, nothing after the last one.

zlib (wbits=31) checks each member's header, CRC-32 and length; this module adds what
the format leaves open: how many members, what follows them, and how much they may
inflate to. Input is fed in slices and output drawn in capped chunks, so memory stays
bounded whatever the stream claims.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

from dfab.contracts.reasons import ReasonClass, VerdictError

GZIP_MAGIC = b"\x1f\x8b"
MAX_MEMBERS = 4096
_IN_CHUNK = 64 * 1024
_OUT_CHUNK = 256 * 1024


def _corrupt(message: str) -> VerdictError:
    return VerdictError(
        ReasonClass.CORRUPT, f"{message}; the .tar.gz is truncated or corrupt: re-create it"
    )


def inflate_gzip(
    data: memoryview, *, cap: int, overflow: Callable[[int, int], VerdictError]
) -> Iterator[bytes]:
    """Yield the decompressed stream; past `cap` bytes raise `overflow(produced, consumed)`.

    `consumed` is how many compressed bytes produced them: the ratio that tells a bomb
    from an honestly large stream.
    """
    size = len(data)
    if size < 2 or data[:2] != GZIP_MAGIC:
        raise VerdictError(ReasonClass.FORMAT_MISMATCH, "the file is not gzip-compressed")
    pos, produced, members = 0, 0, 1
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending: bytes | memoryview = b""
    starved = False
    while True:
        if not pending:
            if pos < size:
                pending = data[pos : pos + _IN_CHUNK]
                pos += len(pending)
            elif starved:
                raise _corrupt("the gzip stream ends in the middle of a member")
        try:
            out = inflater.decompress(pending, _OUT_CHUNK)
        except zlib.error as exc:
            raise _corrupt(f"invalid gzip data in member {members} ({exc})") from exc
        pending = inflater.unconsumed_tail
        starved = len(out) < _OUT_CHUNK
        if out:
            produced += len(out)
            if produced > cap:
                raise overflow(produced, pos - len(pending))
            yield out
        if not inflater.eof:
            continue
        rest = inflater.unused_data
        trailing = len(rest) + size - pos
        if not trailing:
            return
        if len(rest) < 2:
            take = bytes(data[pos : pos + 2 - len(rest)])
            rest += take
            pos += len(take)
        if not rest.startswith(GZIP_MAGIC):
            raise VerdictError(
                ReasonClass.TRAILING_DATA,
                f"{trailing} bytes that are not gzip data follow the last gzip member; "
                "upload the .tar.gz file alone, with nothing appended",
            )
        members += 1
        if members > MAX_MEMBERS:
            raise _corrupt(f"the gzip stream has more than {MAX_MEMBERS} members")
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending, starved = rest, False
