"""`dfab evaluate`: one harness through the full deployed flow on this machine."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from dfab.contracts.report import ScoreReport
from dfab.contracts.submission import (
    SubmissionRecord,
    SubmissionStatus,
    new_submission_id,
    utc_now,
)
from dfab.local.harness import HarnessArchive, InputError, read_harness
from dfab.local.stack import FINAL_EXECUTION_STATES, LocalStack
from dfab.storage import keys, objects
from dfab.storage.submissions import create_submission, get_submission

LOCAL_HOTKEY = "local-miner"
Progress = Callable[[SubmissionStatus, list[str]], None]

__all__ = [
    "HarnessArchive",
    "InputError",
    "dataset_bytes",
    "evaluate_in_stack",
    "read_harness",
]


def evaluate_in_stack(
    stack: LocalStack,
    harness: HarnessArchive,
    *,
    hotkey: str = LOCAL_HOTKEY,
    on_progress: Progress | None = None,
    poll_s: float = 0.25,
) -> ScoreReport:
    """Submit like a miner, let the deployed flow run, and return the stored report."""
    res = stack.resources
    sid = new_submission_id()
    key = keys.archive_key(hotkey, sid, harness.fmt)  # type: ignore[arg-type]
    now = utc_now()
    create_submission(
        res,
        SubmissionRecord(
            submission_id=sid,
            hotkey=hotkey,
            status=SubmissionStatus.PENDING_UPLOAD,
            created_at=now,
            updated_at=now,
            archive_key=key,
            archive_sha256=hashlib.sha256(harness.data).hexdigest(),
            archive_size=len(harness.data),
        ),
    )
    res.s3.put_object(Bucket=res.bucket, Key=key, Body=harness.data)
    stack.deliver_upload(key)
    last: tuple[SubmissionStatus, int] | None = None
    while True:
        record = get_submission(res, sid)
        states = stack.execution_states(sid) if record.status.rank >= 2 else []
        if on_progress and (record.status, len(states)) != last:
            on_progress(record.status, states)
            last = (record.status, len(states))
        execution = stack.execution_status(sid)
        if record.status == SubmissionStatus.REJECTED or (
            execution in FINAL_EXECUTION_STATES and record.status.terminal
        ):
            break
        if record.status.terminal and execution is None:
            break
        time.sleep(poll_s)
    doc = objects.get_json(res, keys.report_key(sid))
    if doc is None:
        raise RuntimeError(f"submission {sid} ended {record.status} without a report")
    return ScoreReport.model_validate(doc)


def dataset_bytes(stack: LocalStack, submission_id: str) -> bytes | None:
    """The generated dataset, if generation got that far."""
    try:
        obj = stack.resources.s3.get_object(
            Bucket=stack.resources.bucket, Key=keys.dataset_key(submission_id)
        )
    except stack.resources.s3.exceptions.NoSuchKey:
        return None
    return obj["Body"].read()
