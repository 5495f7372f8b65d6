"""Validate an uploaded archive and queue it for evaluation (or reject it).

Runs on every S3 ObjectCreated delivery. Idempotent by construction: the first
delivery moves the record out of PENDING_UPLOAD; a duplicate finds it already moved
and starts nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError

from dfab.archive import extract_archive
from dfab.contracts.allowlist import RUNTIME_ALLOWLIST
from dfab.contracts.manifest import load_harness
from dfab import SCORER_VERSION
from dfab.contracts.reasons import Reason, ReasonClass, VerdictError
from dfab.contracts.report import ScoreReport
from dfab.contracts.submission import SubmissionRecord, SubmissionStatus
from dfab.pipeline.seeds import generation_seed
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.resources import Resources
from dfab.storage.submissions import TransitionRefused, get_submission, transition

_KEY = re.compile(r"^uploads/(?P<hotkey>[^/]+)/(?P<sid>[A-Za-z0-9_-]+)\.(?P<fmt>zip|tar\.gz)$")


@dataclass(frozen=True)
class UploadKey:
    hotkey: str
    submission_id: str
    fmt: str

    @classmethod
    def parse(cls, key: str) -> UploadKey | None:
        m = _KEY.match(key)
        return cls(m["hotkey"], m["sid"], m["fmt"]) if m else None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_archive(record: SubmissionRecord, path: Path, fmt: str, settings: Settings) -> dict:
    """All pre-execution checks; raises VerdictError with the reason to reject."""
    size = path.stat().st_size
    if size > settings.archive.max_archive_bytes:
        raise VerdictError(
            ReasonClass.TOO_LARGE,
            f"archive is {size} bytes; the limit is {settings.archive.max_archive_bytes}",
        )
    if record.archive_size is not None and size != record.archive_size:
        raise VerdictError(
            ReasonClass.CHECKSUM_MISMATCH,
            f"uploaded {size} bytes but the signed request declared {record.archive_size}",
        )
    digest = _sha256(path)
    if record.archive_sha256 is not None and digest != record.archive_sha256:
        raise VerdictError(
            ReasonClass.CHECKSUM_MISMATCH,
            f"uploaded archive has sha256 {digest}, the signed request declared "
            f"{record.archive_sha256}; upload the exact file you signed",
        )
    with tempfile.TemporaryDirectory(prefix="dfab-validate-") as tmp:
        root = Path(tmp) / "harness"
        extract_archive(path, root, settings.archive, declared_format=fmt)  # type: ignore[arg-type]
        manifest = load_harness(root, RUNTIME_ALLOWLIST)
    return {
        "archive_sha256": digest,
        "archive_size": size,
        "harness_name": manifest.harness.name,
        "harness_version": manifest.harness.version,
    }


def validate_upload(res: Resources, settings: Settings, key: str) -> SubmissionRecord | None:
    """Check one uploaded object; returns the updated record, None for foreign keys."""
    parsed = UploadKey.parse(key)
    if parsed is None:
        return None
    sid = parsed.submission_id
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
        return transition(res, sid, SubmissionStatus.FAILED, reason=reason)


def _validate_and_queue(
    res: Resources, settings: Settings, key: str, parsed: UploadKey
) -> SubmissionRecord:
    sid = parsed.submission_id
    record = get_submission(res, sid)
    with tempfile.TemporaryDirectory(prefix="dfab-upload-") as tmp:
        path = Path(tmp) / f"archive.{parsed.fmt}"
        if not objects.download(res, key, path):
            return reject(
                res, settings, record, VerdictError(ReasonClass.CORRUPT, "the upload is gone")
            )
        try:
            fields = _check_archive(record, path, parsed.fmt, settings)
        except VerdictError as verdict:
            return reject(res, settings, record, verdict)
    fields["seed"] = generation_seed(sid, settings)
    queued = transition(res, sid, SubmissionStatus.QUEUED, fields=fields)
    start_evaluation(res, sid)
    return queued


def reject(
    res: Resources, settings: Settings, record: SubmissionRecord, verdict: VerdictError
) -> SubmissionRecord:
    """End the submission REJECTED, with a report that says what to fix."""
    report = ScoreReport(
        submission_id=record.submission_id,
        hotkey=record.hotkey,
        status=SubmissionStatus.REJECTED,
        score=0.0,
        scorer_version=SCORER_VERSION,
        config_hash=settings.config_hash(),
        reason=verdict.reason,
    )
    key = keys.report_key(record.submission_id)
    objects.put_json(res, key, report.dump())
    return transition(
        res,
        record.submission_id,
        SubmissionStatus.REJECTED,
        reason=verdict.reason,
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
