"""Validate an uploaded archive and queue it for evaluation (or reject it).

Runs on every S3 ObjectCreated delivery. Idempotent twice over: the validate handler
runs each (bucket, key, etag) once (Powertools idempotency), and here the first
delivery moves the record out of PENDING_UPLOAD, so any later one finds it already
moved and starts nothing.

The archive that passed is copied to `results/{id}/harness.{fmt}` and the record's
`archive_key` points there from QUEUED on: the presigned POST stays usable until it
expires, so the object under `uploads/` could be replaced after validation, and the
sandbox must only ever run the bytes that were checked.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from dfab import SCORER_VERSION
from dfab.archive import extract_archive
from dfab.contracts.allowlist import RUNTIME_ALLOWLIST
from dfab.contracts.manifest import load_harness
from dfab.contracts.reasons import Reason, ReasonClass, VerdictError
from dfab.contracts.report import ScoreReport
from dfab.contracts.submission import SubmissionRecord, SubmissionStatus
from dfab.intake.s3_events import UploadNotice
from dfab.originality.fingerprint import fingerprint_harness
from dfab.originality.harness_index import HarnessIndex
from dfab.originality.judge import judge_harness
from dfab.originality.models import SubmissionRef
from dfab.pipeline.seeds import generation_seed
from dfab.review import review_harness
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.resources import Resources
from dfab.storage.submissions import (
    SubmissionNotFound,
    TransitionRefused,
    get_submission,
    transition,
)

_KEY = re.compile(r"^uploads/(?P<hotkey>[^/]+)/(?P<sid>[A-Za-z0-9_-]+)\.(?P<fmt>zip|tar\.gz)$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class UploadKey:
    hotkey: str
    submission_id: str
    fmt: str

    @classmethod
    def parse(cls, key: str) -> UploadKey | None:
        m = _KEY.match(key)
        return cls(m["hotkey"], m["sid"], m["fmt"]) if m else None


def validated_archive_key(submission_id: str, fmt: str) -> str:
    """Where the checked bytes live; only the validate step writes there."""
    return f"results/{submission_id}/harness.{fmt}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _check_archive(
    record: SubmissionRecord | None,
    path: Path,
    fmt: str,
    settings: Settings,
    res: Resources | None = None,
) -> dict[str, Any]:
    """All pre-execution checks; raises VerdictError with the reason to reject.

    `record` is the submission with the size and sha256 its hotkey signed; None when
    `dfab check` runs the same checks on a miner's machine (nothing signed yet, and no
    index of other miners' harnesses to compare with).
    """
    size = path.stat().st_size
    if size > settings.archive.max_archive_bytes:
        raise VerdictError(
            ReasonClass.TOO_LARGE,
            f"archive is {size} bytes; the limit is {settings.archive.max_archive_bytes}",
        )
    if record is not None and record.archive_size is not None and size != record.archive_size:
        raise VerdictError(
            ReasonClass.CHECKSUM_MISMATCH,
            f"uploaded {size} bytes but the signed request declared {record.archive_size}",
        )
    digest = _sha256(path)
    if record is not None and record.archive_sha256 is not None and digest != record.archive_sha256:
        raise VerdictError(
            ReasonClass.CHECKSUM_MISMATCH,
            f"uploaded archive has sha256 {digest}, the signed request declared "
            f"{record.archive_sha256}; upload the exact file you signed",
        )
    with tempfile.TemporaryDirectory(prefix="dfab-validate-") as tmp:
        root = Path(tmp) / "harness"
        listing = extract_archive(path, root, settings.archive, declared_format=fmt)  # type: ignore[arg-type]
        manifest = load_harness(root, RUNTIME_ALLOWLIST)
        rejection = review_harness(root, settings.review).rejection()
        if rejection is not None:
            raise rejection  # REVIEW_CRITICAL
        if record is not None and res is not None:
            check_harness_originality(res, settings, record, root)
    return {
        "archive_sha256": digest,
        "archive_size": size,
        "harness_name": manifest.harness.name,
        "harness_version": manifest.harness.version,
        "entries": len(listing.entries),
        "unpacked_bytes": listing.unpacked_bytes,
    }


def check_harness_originality(
    res: Resources, settings: Settings, record: SubmissionRecord, root: Path
) -> None:
    """Judge the harness against earlier submissions of other miners; index it if kept.

    The verdict is stored either way (disputes need the evidence); a plagiarized harness
    is rejected with the matched submission named.
    """
    ref = SubmissionRef(
        submission_id=record.submission_id, hotkey=record.hotkey, created_at=record.created_at
    )
    fingerprint = fingerprint_harness(
        root, max_depth=settings.review.max_ast_depth, max_bytes=settings.review.max_code_bytes
    )
    index = HarnessIndex.for_resources(res)
    verdict = judge_harness(index, ref, fingerprint, settings.originality)
    index.save_verdict(verdict)
    if verdict.verdict == "plagiarized":
        raise VerdictError(ReasonClass.PLAGIARISM, verdict.message)
    index.add(ref, fingerprint)


def check_local_archive(path: Path, fmt: str, settings: Settings) -> dict[str, Any]:
    """`dfab check`: exactly the checks an upload gets, minus the signed size/sha256."""
    return _check_archive(None, path, fmt, settings)


def validate_notice(res: Resources, settings: Settings, notice: UploadNotice) -> dict[str, Any]:
    """One S3 notification; the JSON-able outcome is what idempotency stores."""
    if notice.bucket and notice.bucket != res.bucket:
        return {"key": notice.key, "outcome": "ignored", "why": "another bucket"}
    record = validate_upload(res, settings, notice.key)
    if record is None:
        return {"key": notice.key, "outcome": "ignored", "why": "not a submission upload"}
    return {"key": notice.key, "submission_id": record.submission_id, "status": record.status}


def validate_upload(res: Resources, settings: Settings, key: str) -> SubmissionRecord | None:
    """Check one uploaded object; returns the updated record, None for foreign keys."""
    parsed = UploadKey.parse(key)
    if parsed is None:
        return None
    sid = parsed.submission_id
    try:
        record = get_submission(res, sid)
    except SubmissionNotFound:
        return None  # nothing was presigned for this key
    if record.archive_key != key and record.status == SubmissionStatus.PENDING_UPLOAD:
        return None  # not the key this submission's upload was bound to
    try:
        transition(res, sid, SubmissionStatus.VALIDATING)
    except TransitionRefused:
        return get_submission(res, sid)  # duplicate delivery: no-op
    try:
        return _validate_and_queue(res, settings, key, parsed)
    except Exception as exc:
        # Never leave a submission stuck in VALIDATING: record the failure, keep going.
        reason = Reason(
            reason_class=ReasonClass.INTERNAL,
            message=f"validation could not finish ({type(exc).__name__}: {exc})"[:1500],
        )
        return finish(res, settings, get_submission(res, sid), SubmissionStatus.FAILED, reason)


def _download_capped(res: Resources, key: str, dest: Path, limit: int) -> bool:
    """Copy the upload to `dest`, refusing (TOO_LARGE) past `limit` bytes; False if gone.

    On AWS the presigned POST already capped the size; moto does not, and a download
    must never fill the function's disk.
    """
    try:
        obj = res.s3.get_object(Bucket=res.bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return False
        raise
    body = obj["Body"]
    declared = int(obj.get("ContentLength") or 0)
    too_large = VerdictError(
        ReasonClass.TOO_LARGE,
        f"the upload is over the archive limit of {limit} bytes",
    )
    if declared > limit:
        body.close()
        raise too_large
    got = 0
    with dest.open("wb") as out:
        for chunk in iter(lambda: body.read(_CHUNK), b""):
            got += len(chunk)
            if got > limit:
                body.close()
                raise too_large
            out.write(chunk)
    return True


def _validate_and_queue(
    res: Resources, settings: Settings, key: str, parsed: UploadKey
) -> SubmissionRecord:
    sid = parsed.submission_id
    record = get_submission(res, sid)
    with tempfile.TemporaryDirectory(prefix="dfab-upload-") as tmp:
        path = Path(tmp) / f"archive.{parsed.fmt}"
        try:
            if not _download_capped(res, key, path, settings.archive.max_archive_bytes):
                raise VerdictError(ReasonClass.CORRUPT, "the upload is gone")
            fields = _check_archive(record, path, parsed.fmt, settings, res)
        except VerdictError as verdict:
            return reject(res, settings, record, verdict)
        pinned = validated_archive_key(sid, parsed.fmt)
        objects.upload(res, path, pinned)
    fields.pop("entries", None)
    fields.pop("unpacked_bytes", None)
    fields["archive_key"] = pinned
    fields["seed"] = generation_seed(sid, settings)
    queued = transition(res, sid, SubmissionStatus.QUEUED, fields=fields)
    start_evaluation(res, sid)
    return queued


def reject(
    res: Resources, settings: Settings, record: SubmissionRecord, verdict: VerdictError
) -> SubmissionRecord:
    """End the submission REJECTED, with a report that says what to fix."""
    return finish(res, settings, record, SubmissionStatus.REJECTED, verdict.reason)


def finish(
    res: Resources,
    settings: Settings,
    record: SubmissionRecord,
    status: SubmissionStatus,
    reason: Reason,
) -> SubmissionRecord:
    """End the submission in a final status with its reason and a report saying so."""
    report = ScoreReport(
        submission_id=record.submission_id,
        hotkey=record.hotkey,
        status=status,
        score=0.0,
        scorer_version=SCORER_VERSION,
        config_hash=settings.config_hash(),
        reason=reason,
    )
    key = keys.report_key(record.submission_id)
    objects.put_json(res, key, report.dump())
    return transition(
        res,
        record.submission_id,
        status,
        reason=reason,
        fields={"score": 0.0, "report_key": key},
    )


def start_evaluation(res: Resources, submission_id: str) -> None:
    """Start the state machine; the execution name is the submission id (idempotent)."""
    if not res.state_machine_arn:
        raise RuntimeError("DFAB_STATE_MACHINE_ARN is not set")
    try:
        res.sfn.start_execution(
            stateMachineArn=res.state_machine_arn,
            name=submission_id,
            input=json.dumps({"submission_id": submission_id}),
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
