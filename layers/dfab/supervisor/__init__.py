"""The sandbox task protocol: the envelope, preparing a task, running one.

`prepare_task` (PrepareTask Lambda side, has AWS credentials) presigns URLs and stores
the envelope; `run_task_from_environment` (the sandbox image, has none) does the task.
"""

from __future__ import annotations

from dfab.supervisor.envelope import (
    CONTAINER_NAME,
    TASK_URL_ENV,
    DatasetUpload,
    TaskEnvelope,
)
from dfab.supervisor.prepare import prepare_task, task_timeout_s
from dfab.supervisor.task import main, run_task_from_environment

__all__ = [
    "CONTAINER_NAME",
    "TASK_URL_ENV",
    "DatasetUpload",
    "TaskEnvelope",
    "main",
    "prepare_task",
    "run_task_from_environment",
    "task_timeout_s",
]
