"""The signed submission request: its canonical message and sr25519 verification.

The canonical message is what a miner's hotkey signs (docs/miner/submit.md). Every
field is constrained by `SubmitRequest` to characters that cannot contain a newline,
so the newline-joined message is unambiguous, and every field of the request body is
in it: nothing a relay could change goes unsigned.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: First line of the message: names the challenge, the action and the version, so a
#: signature made for anything else (another challenge, a transfer) never verifies here.
DOMAIN = "data-fabrication:submit:v1"
SIGNATURE_BYTES = 64

ArchiveFormat = Literal["zip", "tar.gz"]


class SubmitRequest(BaseModel):
    """Body of `POST /submissions`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hotkey: str = Field(
        min_length=1,
        max_length=50,
        pattern=r"^[1-9A-HJ-NP-Za-km-z]+$",
        description="The miner's hotkey, an SS58 address.",
    )
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the archive, lowercase hex."
    )
    size: int = Field(gt=0, lt=2**53, strict=True, description="Archive size in bytes.")
    format: ArchiveFormat = Field(description="Archive format: zip or tar.gz.")
    timestamp: int = Field(
        ge=0, lt=2**40, strict=True, description="When the request was signed, Unix seconds."
    )
    nonce: str = Field(
        pattern=r"^[A-Za-z0-9_-]{16,64}$",
        description="16-64 chars of [A-Za-z0-9_-], never reused by this hotkey.",
    )
    signature: str = Field(
        pattern=r"^(0x)?[0-9a-fA-F]{128}$",
        description="sr25519 signature of the canonical message, hex (0x optional).",
    )

    def message(self) -> bytes:
        return canonical_message(
            hotkey=self.hotkey,
            sha256=self.sha256,
            size=self.size,
            fmt=self.format,
            timestamp=self.timestamp,
            nonce=self.nonce,
        )

    def signature_bytes(self) -> bytes:
        return bytes.fromhex(self.signature.removeprefix("0x"))


def canonical_message(
    *, hotkey: str, sha256: str, size: int, fmt: str, timestamp: int, nonce: str
) -> bytes:
    """The exact bytes a hotkey signs for one submission request (UTF-8, no final newline)."""
    lines = (DOMAIN, hotkey, sha256, str(size), fmt, str(timestamp), nonce)
    return "\n".join(lines).encode("utf-8")


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True only for a valid sr25519 signature by `public_key` over `message`.

    Malformed keys or signatures are simply invalid: the caller never sees an
    exception from the cryptography library.
    """
    import sr25519  # compiled extension; imported where needed

    if len(public_key) != 32 or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        return bool(sr25519.verify(signature, message, public_key))
    except (ValueError, TypeError):
        return False
