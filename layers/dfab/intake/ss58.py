"""SS58 addresses (Substrate/Bittensor account ids): base58 plus a blake2b checksum.

Written here rather than pulled in as a dependency: it is small, and every rule
that decides whether a hotkey is valid should be readable in one place.
Layout: prefix (1 byte for formats 0-63, 2 bytes for 64-16383) + 32-byte public
key + the first 2 bytes of blake2b-512(b"SS58PRE" + prefix + key).
"""

from __future__ import annotations

import hashlib

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_CHECKSUM_SALT = b"SS58PRE"
PUBLIC_KEY_BYTES = 32
_CHECKSUM_BYTES = 2
#: Longest address for a 32-byte key (2-byte prefix); longer input is refused unread.
MAX_ADDRESS_CHARS = 50


class InvalidAddress(ValueError):
    """Not an SS58 address of a 32-byte key in the expected format; says why."""


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, digit = divmod(number, 58)
        out.append(ALPHABET[digit])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    if len(text) > MAX_ADDRESS_CHARS * 2:
        raise InvalidAddress("too long to be an SS58 address")
    number = 0
    for char in text:
        digit = _INDEX.get(char)
        if digit is None:
            raise InvalidAddress(f"{char!r} is not a base58 character")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def _checksum(prefixed_key: bytes) -> bytes:
    return hashlib.blake2b(_CHECKSUM_SALT + prefixed_key, digest_size=64).digest()[:_CHECKSUM_BYTES]


def _prefix_bytes(ss58_format: int) -> bytes:
    if 0 <= ss58_format < 64:
        return bytes([ss58_format])
    if 64 <= ss58_format < 16384:
        first = ((ss58_format & 0b1111_1100) >> 2) | 0b0100_0000
        second = (ss58_format >> 8) | ((ss58_format & 0b0000_0011) << 6)
        return bytes([first, second])
    raise ValueError(f"SS58 format {ss58_format} is outside 0-16383")


def _split_prefix(raw: bytes) -> tuple[int, int]:
    """(format, prefix length) of decoded bytes."""
    if not raw:
        raise InvalidAddress("empty address")
    first = raw[0]
    if first < 64:
        return first, 1
    if first < 128:
        if len(raw) < 2:
            raise InvalidAddress("truncated two-byte prefix")
        lower = ((first & 0b0011_1111) << 2) | (raw[1] >> 6)
        upper = raw[1] & 0b0011_1111
        return lower | (upper << 8), 2
    raise InvalidAddress(f"prefix byte {first} is reserved")


def encode(public_key: bytes, ss58_format: int = 42) -> str:
    """The SS58 address of a 32-byte public key."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise ValueError(f"a public key has {PUBLIC_KEY_BYTES} bytes, not {len(public_key)}")
    prefixed = _prefix_bytes(ss58_format) + public_key
    return b58encode(prefixed + _checksum(prefixed))


def decode(address: str, ss58_format: int | None = 42) -> bytes:
    """The 32-byte public key of `address`, after checking its checksum and format.

    `ss58_format=None` accepts any format. The address must also be in its one
    canonical spelling, so a hotkey can never be written two ways (rate limits and
    storage keys are per address string).
    """
    if not address or len(address) > MAX_ADDRESS_CHARS:
        raise InvalidAddress("not an SS58 address (wrong length)")
    raw = b58decode(address)
    found, prefix_len = _split_prefix(raw)
    if len(raw) != prefix_len + PUBLIC_KEY_BYTES + _CHECKSUM_BYTES:
        raise InvalidAddress(
            f"decodes to {len(raw)} bytes; a hotkey address holds a {PUBLIC_KEY_BYTES}-byte key"
        )
    body, checksum = raw[:-_CHECKSUM_BYTES], raw[-_CHECKSUM_BYTES:]
    if _checksum(body) != checksum:
        raise InvalidAddress("checksum mismatch (a typo in the address?)")
    if ss58_format is not None and found != ss58_format:
        raise InvalidAddress(
            f"address uses SS58 format {found}; this validator expects format {ss58_format}"
        )
    key = body[prefix_len:]
    if encode(key, found) != address:
        raise InvalidAddress("not the canonical spelling of this address")
    return key
