"""The deployed validate handler on moto: duplicate deliveries start exactly one execution.

S3 and SQS deliver at least once. Powertools idempotency (bucket, key, etag) and the
forward-only status transitions must both hold: a duplicate starts nothing new, a
failed attempt can be retried, and a checksum mismatch ends REJECTED before anything
runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus

import pytest

from conftest import EXAMPLE_HARNESS, ROOT
from dfab import lambda_runtime
from dfab.archive import pack_directory
from dfab.contracts.reasons import ReasonClass
from dfab.contracts.submission import SubmissionRecord, SubmissionStatus, new_submission_id, utc_now
from dfab.intake.tables import IDEMPOTENCY, INTAKE_TABLES
from dfab.local.handlers import LocalLambdaContext, load_handler
from dfab.local.template import ACCOUNT, FunctionSpec
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.resources import Resources
from dfab.storage.submissions import create_submission, get_submission

HOTKEY = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})


@pytest.fixture(scope="module")
def harness_zip() -> bytes:
    return pack_directory(EXAMPLE_HARNESS, "zip")


@pytest.fixture
def res(aws: Resources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Resources]:
    existing = set(aws.dynamodb.list_tables()["TableNames"])
    for spec in INTAKE_TABLES:  # unless the shared fixture already made them
        if spec.default_name not in existing:
            aws.dynamodb.create_table(**spec.create_kwargs())
    machine = aws.sfn.create_state_machine(
        name="dfab-test", definition=PASS_MACHINE, roleArn=f"arn:aws:iam::{ACCOUNT}:role/x"
    )
    aws.state_machine_arn = machine["stateMachineArn"]
    for name, value in aws.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(IDEMPOTENCY.env_var, IDEMPOTENCY.default_name)
    lambda_runtime.reset(Settings())
    yield aws
    lambda_runtime.reset()


@pytest.fixture
def handler(res: Resources) -> Any:
    return load_handler(
        FunctionSpec("ValidateFunction", ROOT / "functions" / "validate", "app.handler")
    )


def _pending(res: Resources, data: bytes, *, declared: bytes | None = None) -> SubmissionRecord:
    """A PENDING_UPLOAD record for `declared` (default: `data`), with `data` uploaded."""
    signed = declared if declared is not None else data
    sid = new_submission_id()
    now = utc_now()
    record = SubmissionRecord(
        submission_id=sid,
        hotkey=HOTKEY,
        status=SubmissionStatus.PENDING_UPLOAD,
        created_at=now,
        updated_at=now,
        archive_key=keys.archive_key(HOTKEY, sid, "zip"),
        archive_sha256=hashlib.sha256(signed).hexdigest(),
        archive_size=len(signed),
    )
    create_submission(res, record)
    res.s3.put_object(Bucket=res.bucket, Key=record.archive_key, Body=data)
    return record


def _sqs_event(res: Resources, key: str, message_id: str = "m-1") -> dict[str, Any]:
    head = res.s3.head_object(Bucket=res.bucket, Key=key)
    body = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "bucket": {"name": res.bucket},
                    "object": {
                        "key": quote_plus(key),
                        "size": head["ContentLength"],
                        "eTag": head["ETag"].strip('"'),
                    },
                },
            }
        ]
    }
    return {
        "Records": [
            {
                "messageId": message_id,
                "receiptHandle": f"rh-{message_id}",
                "body": json.dumps(body),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{res.region}:{ACCOUNT}:uploads",
                "awsRegion": res.region,
            }
        ]
    }


def _executions(res: Resources) -> list[str]:
    out = res.sfn.list_executions(stateMachineArn=res.state_machine_arn)
    return [e["name"] for e in out["executions"]]


def _invoke(handler: Any, event: dict[str, Any]) -> dict[str, Any]:
    return handler(event, LocalLambdaContext("ValidateFunction"))


def _count_validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import dfab.pipeline.validate as validate

    calls: list[str] = []
    real = validate.validate_upload

    def counting(res: Resources, settings: Settings, key: str) -> Any:
        calls.append(key)
        return real(res, settings, key)

    monkeypatch.setattr(validate, "validate_upload", counting)
    return calls


def test_duplicate_deliveries_start_one_execution(
    res: Resources, handler: Any, harness_zip: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_validations(monkeypatch)
    record = _pending(res, harness_zip)
    event = _sqs_event(res, record.archive_key)
    for message_id in ("m-1", "m-2", "m-3"):  # S3 and SQS both deliver at least once
        event["Records"][0]["messageId"] = message_id
        assert _invoke(handler, event) == {"batchItemFailures": []}
    assert _executions(res) == [record.submission_id]
    assert len(calls) == 1, "the idempotency layer ran the validation more than once"

    after = get_submission(res, record.submission_id)
    assert after.status == SubmissionStatus.QUEUED
    assert [e.status for e in after.timeline] == [
        SubmissionStatus.PENDING_UPLOAD,
        SubmissionStatus.VALIDATING,
        SubmissionStatus.QUEUED,
    ]
    assert after.harness_name == "example-harness"
    items = res.dynamodb.scan(TableName=IDEMPOTENCY.default_name)["Items"]
    assert [i["status"]["S"] for i in items] == ["COMPLETED"]


def test_without_idempotency_records_the_transitions_still_guard(
    res: Resources, handler: Any, harness_zip: bytes
) -> None:
    record = _pending(res, harness_zip)
    event = _sqs_event(res, record.archive_key)
    assert _invoke(handler, event) == {"batchItemFailures": []}
    # Forget every idempotency record: the forward-only transition is the second guard.
    table = IDEMPOTENCY.default_name
    for item in res.dynamodb.scan(TableName=table)["Items"]:
        res.dynamodb.delete_item(TableName=table, Key={"id": item["id"]})
    assert _invoke(handler, event) == {"batchItemFailures": []}
    assert _executions(res) == [record.submission_id]
    assert get_submission(res, record.submission_id).status == SubmissionStatus.QUEUED


def test_a_reupload_after_validation_changes_nothing(
    res: Resources, handler: Any, harness_zip: bytes
) -> None:
    record = _pending(res, harness_zip)
    assert _invoke(handler, _sqs_event(res, record.archive_key)) == {"batchItemFailures": []}
    pinned = get_submission(res, record.submission_id).archive_key
    assert pinned == f"results/{record.submission_id}/harness.zip"
    # The presigned POST is still valid: the miner replaces the object (new etag).
    res.s3.put_object(Bucket=res.bucket, Key=record.archive_key, Body=b"PK swapped")
    assert _invoke(handler, _sqs_event(res, record.archive_key, "m-9")) == {"batchItemFailures": []}
    assert _executions(res) == [record.submission_id]
    after = get_submission(res, record.submission_id)
    assert after.status == SubmissionStatus.QUEUED
    # The evaluation reads the checked copy, never the replaced upload.
    copy = res.s3.get_object(Bucket=res.bucket, Key=after.archive_key)["Body"].read()
    assert copy == harness_zip


def test_checksum_mismatch_is_rejected(res: Resources, handler: Any, harness_zip: bytes) -> None:
    other = bytearray(harness_zip)
    other[-30] ^= 0xFF  # same size, different bytes
    record = _pending(res, harness_zip, declared=bytes(other))
    assert _invoke(handler, _sqs_event(res, record.archive_key)) == {"batchItemFailures": []}
    after = get_submission(res, record.submission_id)
    assert after.status == SubmissionStatus.REJECTED
    assert after.reason is not None
    assert after.reason.reason_class == ReasonClass.CHECKSUM_MISMATCH
    assert "sha256" in after.reason.message
    assert _executions(res) == []
    report = objects.get_json(res, keys.report_key(record.submission_id))
    assert report["status"] == "REJECTED"
    assert report["reason"]["class"] == "CHECKSUM_MISMATCH"


def test_size_mismatch_is_rejected(res: Resources, handler: Any, harness_zip: bytes) -> None:
    record = _pending(res, harness_zip, declared=harness_zip + b"\0")
    _invoke(handler, _sqs_event(res, record.archive_key))
    after = get_submission(res, record.submission_id)
    assert after.status == SubmissionStatus.REJECTED
    assert after.reason is not None and after.reason.reason_class == ReasonClass.CHECKSUM_MISMATCH


def test_oversized_upload_is_rejected_without_reading_it_all(res: Resources, handler: Any) -> None:
    big = b"\0" * (Settings().archive.max_archive_bytes + 1)
    record = _pending(res, big)
    _invoke(handler, _sqs_event(res, record.archive_key))
    after = get_submission(res, record.submission_id)
    assert after.status == SubmissionStatus.REJECTED
    assert after.reason is not None and after.reason.reason_class == ReasonClass.TOO_LARGE


def test_a_failed_attempt_is_retried_and_then_starts_once(
    res: Resources, handler: Any, harness_zip: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dfab.pipeline.validate as validate

    record = _pending(res, harness_zip)
    event = _sqs_event(res, record.archive_key)
    real = validate.validate_upload
    outage = {"left": 1}

    def flaky(res_: Resources, settings: Settings, key: str) -> Any:
        if outage["left"]:
            outage["left"] -= 1
            raise ConnectionError("DynamoDB is unreachable")
        return real(res_, settings, key)

    monkeypatch.setattr(validate, "validate_upload", flaky)
    assert _invoke(handler, event) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert get_submission(res, record.submission_id).status == SubmissionStatus.PENDING_UPLOAD
    # The failed attempt released its idempotency record by expiring it (no DeleteItem).
    (item,) = res.dynamodb.scan(TableName=IDEMPOTENCY.default_name)["Items"]
    assert item["expiration"]["N"] == "0"
    assert _invoke(handler, event) == {"batchItemFailures": []}
    assert _invoke(handler, event) == {"batchItemFailures": []}
    assert _executions(res) == [record.submission_id]


def test_foreign_and_unknown_keys_are_ignored(res: Resources, handler: Any) -> None:
    res.s3.put_object(Bucket=res.bucket, Key="uploads/readme.txt", Body=b"hi")
    res.s3.put_object(Bucket=res.bucket, Key=f"uploads/{HOTKEY}/nosuchid.zip", Body=b"PK")
    for key in ("uploads/readme.txt", f"uploads/{HOTKEY}/nosuchid.zip"):
        assert _invoke(handler, _sqs_event(res, key)) == {"batchItemFailures": []}
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": res.bucket}
    sqs = _sqs_event(res, "uploads/readme.txt")
    sqs["Records"][0]["body"] = json.dumps(test_event)
    assert _invoke(handler, sqs) == {"batchItemFailures": []}
    assert _executions(res) == []
