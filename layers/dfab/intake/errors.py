"""Why a submission request is refused: stable codes miners and scripts can act on.

The code is the contract (docs/miner/submit.md lists them); the HTTP status is how
the API carries it.
"""

from __future__ import annotations

from enum import StrEnum


class RefusalCode(StrEnum):
    BAD_REQUEST = "BAD_REQUEST"
    BAD_HOTKEY = "BAD_HOTKEY"
    ARCHIVE_TOO_LARGE = "ARCHIVE_TOO_LARGE"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    STALE_TIMESTAMP = "STALE_TIMESTAMP"
    NOT_REGISTERED = "NOT_REGISTERED"
    NONCE_REUSED = "NONCE_REUSED"
    EVALUATION_IN_FLIGHT = "EVALUATION_IN_FLIGHT"
    RATE_LIMITED = "RATE_LIMITED"

    @property
    def http_status(self) -> int:
        return _STATUS[self]


_STATUS = {
    RefusalCode.BAD_REQUEST: 400,
    RefusalCode.BAD_HOTKEY: 400,
    RefusalCode.ARCHIVE_TOO_LARGE: 400,
    RefusalCode.BAD_SIGNATURE: 401,
    RefusalCode.STALE_TIMESTAMP: 401,
    RefusalCode.NOT_REGISTERED: 403,
    RefusalCode.NONCE_REUSED: 409,
    RefusalCode.EVALUATION_IN_FLIGHT: 409,
    RefusalCode.RATE_LIMITED: 429,
}


class IntakeRefused(Exception):
    """A request that must not create a submission, with the code and a human message."""

    def __init__(self, code: RefusalCode, message: str, *, retry_after_s: int | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s
