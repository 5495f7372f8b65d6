"""The sandbox task's instructions: one JSON document behind one presigned GET URL.

ECS container overrides are capped at 8 KiB, and a task with no AWS role can only use
URLs someone presigned for it; so everything the task needs (presigned URLs, limits,
what to run) travels in this envelope, and the overrides carry only its URL.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dfab.settings import ArchiveSettings, SandboxSettings, VerificationSettings
from dfab.storage.keys import ArchiveFormat, TaskMode

TASK_URL_ENV = "DFAB_TASK_URL"
CONTAINER_NAME = "sandbox"
#: Multipart part size (S3 needs >= 5 MiB for every part but the last).
PART_SIZE = 16 * 1024 * 1024


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetUpload(_Doc):
    """Where the dataset goes: one PUT when it fits in a part, else a multipart upload.

    The multipart upload is created when the task is prepared (a role-less task cannot
    create one); the task completes it, or aborts it when the single PUT sufficed.
    """

    put_url: str
    upload_id: str
    part_size: int = Field(ge=5 * 1024 * 1024)
    part_urls: list[str] = Field(min_length=1)
    complete_url: str
    abort_url: str


class ProbeRun(_Doc):
    """A second, small generation with another seed; its output goes to one PUT URL."""

    count: int = Field(ge=1)
    seed: int = Field(ge=0)
    put_url: str
    max_bytes: int = Field(PART_SIZE, ge=1, description="Larger probe output is not kept.")


class TaskEnvelope(_Doc):
    """Everything one sandbox task (generate or verify) needs; schema v1."""

    schema_version: Literal[1] = 1
    mode: TaskMode
    submission_id: str
    harness_url: str
    archive_format: ArchiveFormat
    result_put_url: str = Field(description="Where the result document goes (always).")
    envelope_delete_url: str | None = Field(
        None, description="Deletes this envelope once read, so its URL is useless later."
    )
    count: int = Field(ge=1)
    seed: int = Field(ge=0)
    sandbox: SandboxSettings
    archive: ArchiveSettings
    verification: VerificationSettings
    dataset_upload: DatasetUpload | None = None
    dataset_url: str | None = Field(None, description="verify: presigned GET of the dataset.")
    sample_ids: list[str] = Field(default_factory=list)
    probe: ProbeRun | None = Field(None, description="generate: the seed-dependence probe.")
