"""Admit a signed submission request: every check, then the record and the upload form.

Order matters. Cheap, stateless checks first (shape, address, clock, signature,
registration, size) so forged or malformed requests never touch a table (and can
never burn a miner's nonce); then the stateful ones, each only after everything
before it passed: the nonce (first, so a replay is always reported as a replay), the
in-flight check (read only), and last the rate-limit slot, so that a refused request
never costs the miner a slot.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dfab.contracts.submission import (
    SubmissionRecord,
    SubmissionStatus,
    new_submission_id,
)
from dfab.intake import ss58
from dfab.intake.allowlist import Allowlist, ParsedAllowlist
from dfab.intake.errors import IntakeRefused, RefusalCode
from dfab.intake.inflight import find_open_submission
from dfab.intake.nonces import claim_nonce
from dfab.intake.presign import UploadForm, presign_client, presign_upload
from dfab.intake.ratelimit import take_slot
from dfab.intake.settings import IntakeSettings
from dfab.intake.signing import SubmitRequest, verify
from dfab.intake.timefmt import iso
from dfab.settings import Settings
from dfab.storage import keys
from dfab.storage.resources import Resources
from dfab.storage.submissions import create_submission

#: Extra seconds a nonce is remembered past the end of its timestamp's validity.
_NONCE_MARGIN_S = 60


def _log_invalid_entries(parsed: ParsedAllowlist) -> None:
    """Entries that are not addresses admit nobody; the validator should hear of them."""
    from dfab.lambda_runtime import logger

    logger.warning(
        "allowlist entries that are not valid hotkeys were ignored",
        extra={"entries": [f"line {n}: {token}" for n, token in parsed.invalid[:20]]},
    )


@dataclass(frozen=True)
class Admitted:
    record: SubmissionRecord
    upload: UploadForm


@dataclass
class Intake:
    """What admission needs: resources, limits and a clock (injectable for tests)."""

    resources: Resources
    settings: Settings
    config: IntakeSettings
    nonces_table: str
    clock: Callable[[], float] = time.time
    allowlist: Allowlist | None = None
    _presigner: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.allowlist is None and self.config.allowlist:
            self.allowlist = Allowlist(
                self.config.allowlist,
                ss58_format=self.config.ss58_format,
                refresh_s=self.config.allowlist_refresh_s,
                s3_client=lambda: self.resources.s3,
                on_invalid=_log_invalid_entries,
            )

    @property
    def presigner(self) -> Any:
        if self._presigner is None:
            self._presigner = presign_client(self.resources.region)
        return self._presigner

    # ------------------------------------------------------------------ checks
    def _public_key(self, request: SubmitRequest) -> bytes:
        try:
            return ss58.decode(request.hotkey, self.config.ss58_format)
        except ss58.InvalidAddress as exc:
            raise IntakeRefused(
                RefusalCode.BAD_HOTKEY, f"hotkey {request.hotkey!r} is not valid: {exc}"
            ) from exc

    def _check_clock(self, request: SubmitRequest, now: float) -> None:
        skew = self.config.timestamp_skew_s
        drift = request.timestamp - now
        if abs(drift) > skew:
            when = "in the future" if drift > 0 else "old"
            raise IntakeRefused(
                RefusalCode.STALE_TIMESTAMP,
                f"timestamp {request.timestamp} is {abs(int(drift))} s {when}; requests must "
                f"be signed within {skew} s of the server clock ({int(now)}): sign a new "
                "request (and check your clock)",
            )

    def _check_signature(self, request: SubmitRequest, public_key: bytes) -> None:
        if not verify(public_key, request.message(), request.signature_bytes()):
            raise IntakeRefused(
                RefusalCode.BAD_SIGNATURE,
                "the signature does not verify for this hotkey over the canonical message "
                "(see docs/miner/submit.md: sign exactly those bytes with this hotkey)",
            )

    def _check_registered(self, request: SubmitRequest, now: float) -> None:
        if self.allowlist is not None and not self.allowlist.contains(request.hotkey, now):
            raise IntakeRefused(
                RefusalCode.NOT_REGISTERED,
                f"hotkey {request.hotkey} is not registered with this validator",
            )

    def _check_size(self, request: SubmitRequest) -> None:
        limit = self.settings.archive.max_archive_bytes
        if request.size > limit:
            raise IntakeRefused(
                RefusalCode.ARCHIVE_TOO_LARGE,
                f"the archive is {request.size} bytes; the limit is {limit} bytes",
            )

    def _claim_nonce(self, request: SubmitRequest) -> None:
        expires = request.timestamp + self.config.timestamp_skew_s + _NONCE_MARGIN_S
        if not claim_nonce(
            self.resources.dynamodb, self.nonces_table, request.hotkey, request.nonce, expires
        ):
            raise IntakeRefused(
                RefusalCode.NONCE_REUSED,
                "this nonce was already used by this hotkey: a replayed request; sign a new "
                "request with a fresh random nonce",
            )

    def _check_in_flight(self, request: SubmitRequest, now: float) -> None:
        if not self.config.one_in_flight:
            return
        open_doc = find_open_submission(
            self.resources.dynamodb,
            self.resources.submissions_table,
            request.hotkey,
            now=now,
            max_age_s=self.config.in_flight_max_age_s,
            abandoned_upload_s=self.config.abandoned_upload_s,
        )
        if open_doc is not None:
            raise IntakeRefused(
                RefusalCode.EVALUATION_IN_FLIGHT,
                f"submission {open_doc.get('submission_id')} of this hotkey is still "
                f"{open_doc.get('status')}; wait until it ends",
            )

    def _take_slot(self, request: SubmitRequest, now: float) -> None:
        cfg = self.config
        outcome = take_slot(
            self.resources.dynamodb,
            self.nonces_table,
            request.hotkey,
            limit=cfg.max_submissions_per_window,
            window_s=cfg.rate_window_s,
            now=math.floor(now),
        )
        if not outcome.taken:
            retry = outcome.retry_after_s or None
            hint = f"; try again in {retry} s" if retry else ""
            raise IntakeRefused(
                RefusalCode.RATE_LIMITED,
                f"this hotkey made {cfg.max_submissions_per_window} submissions in the last "
                f"{cfg.rate_window_s} s{hint}",
                retry_after_s=retry,
            )

    # ------------------------------------------------------------------ admit
    def admit(self, request: SubmitRequest) -> Admitted:
        """Run every check; on success create the PENDING_UPLOAD record and presign.

        Raises `IntakeRefused` with the first failed check's code.
        """
        now = self.clock()
        public_key = self._public_key(request)
        self._check_clock(request, now)
        self._check_signature(request, public_key)
        self._check_registered(request, now)
        self._check_size(request)
        self._claim_nonce(request)
        self._check_in_flight(request, now)
        self._take_slot(request, now)

        sid = new_submission_id()
        key = keys.archive_key(request.hotkey, sid, request.format)
        stamp = iso(now)  # the same clock the in-flight check compares against
        record = SubmissionRecord(
            submission_id=sid,
            hotkey=request.hotkey,
            status=SubmissionStatus.PENDING_UPLOAD,
            created_at=stamp,
            updated_at=stamp,
            archive_key=key,
            archive_sha256=request.sha256,
            archive_size=request.size,
        )
        create_submission(self.resources, record)
        upload = presign_upload(
            self.presigner,
            bucket=self.resources.bucket,
            key=key,
            size=request.size,
            ttl_s=self.config.upload_url_ttl_s,
            now=now,
        )
        return Admitted(record=record, upload=upload)
