"""`dfab evaluate`: one harness through the full deployed flow on this machine."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dfab.archive import pack_directory
from dfab.contracts.report import ScoreReport
from dfab.contracts.submission import (
    SubmissionRecord,
    SubmissionStatus,
    new_submission_id,
    utc_now,
)
from dfab.local.stack import FINAL_EXECUTION_STATES, LocalStack
from dfab.storage import keys, objects
from dfab.storage.submissions import create_submission, get_submission

LOCAL_HOTKEY = "local-miner"
Progress = Callable[[SubmissionStatus, list[str]], None]


class InputError(ValueError):
    """The path given is not something `dfab evaluate` can read."""


@dataclass(frozen=True)
class HarnessArchive:
    data: bytes
    fmt: str  # "zip" | "tar.gz"
    source: Path


def read_harness(path: Path) -> HarnessArchive:
    """A harness directory is packed reproducibly; an archive is taken as it is."""
    if not path.exists():
        raise InputError(f"{path} does not exist; give a harness directory or archive")
    if path.is_dir():
        if not (path / "harness.toml").is_file():
            raise InputError(
                f"{path} has no harness.toml at its root; `dfab init DIR` scaffolds one"
            )
        return HarnessArchive(pack_directory(path, "zip"), "zip", path)
    name = path.name.lower()
    if name.endswith(".zip"):
        fmt = "zip"
    elif name.endswith((".tar.gz", ".tgz")):
        fmt = "tar.gz"
    else:
        raise InputError(f"{path} is neither a directory nor a .zip/.tar.gz archive")
    return HarnessArchive(path.read_bytes(), fmt, path)


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
