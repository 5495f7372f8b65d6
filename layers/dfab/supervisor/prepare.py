"""`prepare_task`: presign a sandbox task's URLs, store its envelope, build the overrides.

Runs with AWS credentials (the PrepareTask Lambda, or moto locally); the task it
prepares has none. URLs expire shortly after the task's own timeout.
"""

from __future__ import annotations

import json
import math
from typing import Any

from dfab.pipeline.seeds import probe_seed
from dfab.settings import Settings
from dfab.storage import keys
from dfab.storage.keys import ArchiveFormat, TaskMode
from dfab.supervisor.envelope import (
    CONTAINER_NAME,
    PART_SIZE,
    TASK_URL_ENV,
    DatasetUpload,
    ProbeRun,
    TaskEnvelope,
)

#: Fargate start, image pull, archive fetch and uploads, on top of the run itself.
TASK_OVERHEAD_S = 300
#: Presigned URLs outlive the task's timeout by this much.
URL_MARGIN_S = 600


def task_timeout_s(mode: TaskMode, settings: Settings) -> int:
    """A safe Step Functions TimeoutSeconds for the task: its own budget plus overhead."""
    if mode == "generate":
        runs = 2 if settings.generation.probe_conversations > 0 else 1  # main + probe
        return runs * settings.sandbox.wall_timeout_s + TASK_OVERHEAD_S
    return settings.verification.max_total_s + TASK_OVERHEAD_S


def _presign(s3: Any, method: str, params: dict[str, Any], expires: int, http: str) -> str:
    return str(s3.generate_presigned_url(method, Params=params, ExpiresIn=expires, HttpMethod=http))


def _dataset_upload(s3: Any, bucket: str, key: str, settings: Settings, exp: int) -> DatasetUpload:
    created = s3.create_multipart_upload(Bucket=bucket, Key=key)
    upload_id = str(created["UploadId"])
    obj = {"Bucket": bucket, "Key": key}
    mp = {**obj, "UploadId": upload_id}
    parts = max(1, math.ceil(settings.sandbox.max_output_mb * 1024 * 1024 / PART_SIZE))
    return DatasetUpload(
        put_url=_presign(s3, "put_object", obj, exp, "PUT"),
        upload_id=upload_id,
        part_size=PART_SIZE,
        part_urls=[
            _presign(s3, "upload_part", {**mp, "PartNumber": n}, exp, "PUT")
            for n in range(1, parts + 1)
        ],
        complete_url=_presign(s3, "complete_multipart_upload", mp, exp, "POST"),
        abort_url=_presign(s3, "abort_multipart_upload", mp, exp, "DELETE"),
    )


def prepare_task(
    s3_client: Any,
    bucket: str,
    submission_id: str,
    mode: TaskMode,
    *,
    archive_key: str,
    archive_format: ArchiveFormat,
    settings: Settings,
    seed: int,
    sample_ids: list[str] | None = None,
) -> dict[str, Any]:
    """Write the task envelope to S3; return the ECS overrides and the state timeout.

    Returns `{"overrides": {"ContainerOverrides": [...]}, "timeout_s": int}`: the
    overrides carry one variable, `DFAB_TASK_URL`, a presigned GET of the envelope.
    """
    timeout = task_timeout_s(mode, settings)
    exp = timeout + URL_MARGIN_S
    env_key = keys.task_envelope_key(submission_id, mode)
    get = {"Bucket": bucket}
    dataset_key = keys.dataset_key(submission_id)
    result_key = (
        keys.generation_result_key(submission_id)
        if mode == "generate"
        else keys.verification_result_key(submission_id)
    )
    probe = None
    if mode == "generate" and settings.generation.probe_conversations > 0:
        probe = ProbeRun(
            count=settings.generation.probe_conversations,
            seed=probe_seed(seed),
            put_url=_presign(
                s3_client,
                "put_object",
                {**get, "Key": keys.probe_dataset_key(submission_id)},
                exp,
                "PUT",
            ),
        )
    envelope = TaskEnvelope(
        mode=mode,
        submission_id=submission_id,
        harness_url=_presign(s3_client, "get_object", {**get, "Key": archive_key}, exp, "GET"),
        archive_format=archive_format,
        result_put_url=_presign(s3_client, "put_object", {**get, "Key": result_key}, exp, "PUT"),
        envelope_delete_url=_presign(
            s3_client, "delete_object", {**get, "Key": env_key}, exp, "DELETE"
        ),
        count=settings.generation.num_conversations,
        seed=seed,
        sandbox=settings.sandbox,
        archive=settings.archive,
        verification=settings.verification,
        dataset_upload=_dataset_upload(s3_client, bucket, dataset_key, settings, exp)
        if mode == "generate"
        else None,
        dataset_url=_presign(s3_client, "get_object", {**get, "Key": dataset_key}, exp, "GET")
        if mode == "verify"
        else None,
        sample_ids=list(sample_ids or []),
        probe=probe,
    )
    s3_client.put_object(
        Bucket=bucket,
        Key=env_key,
        Body=json.dumps(envelope.model_dump(mode="json")).encode(),
        ContentType="application/json",
    )
    url = _presign(s3_client, "get_object", {**get, "Key": env_key}, exp, "GET")
    overrides = {
        "ContainerOverrides": [
            {"Name": CONTAINER_NAME, "Environment": [{"Name": TASK_URL_ENV, "Value": url}]}
        ]
    }
    return {"overrides": overrides, "timeout_s": timeout}
