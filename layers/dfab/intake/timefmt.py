"""Epoch seconds as the ISO 8601 stamps records use (`utc_now()`'s format).

Intake takes "now" from an injectable clock; stamps it writes or compares must be in
the same format as the records' `created_at`, so range conditions compare as strings.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso(epoch_s: float) -> str:
    stamp = datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")
