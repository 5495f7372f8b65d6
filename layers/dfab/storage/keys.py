"""The S3 key layout of one submission, in one place."""

from __future__ import annotations

from typing import Literal

ArchiveFormat = Literal["zip", "tar.gz"]
TaskMode = Literal["generate", "verify"]


def archive_key(hotkey: str, submission_id: str, fmt: ArchiveFormat) -> str:
    return f"uploads/{hotkey}/{submission_id}.{fmt}"


def task_envelope_key(submission_id: str, mode: TaskMode) -> str:
    """The sandbox task's instructions (presigned URLs inside); fetched via a presigned GET."""
    return f"tasks/{submission_id}/{mode}.json"


def _result(submission_id: str, name: str) -> str:
    return f"results/{submission_id}/{name}"


def dataset_key(submission_id: str) -> str:
    return _result(submission_id, "dataset.jsonl")


def probe_dataset_key(submission_id: str) -> str:
    """The second, small generation with another seed (see GenerationSettings)."""
    return _result(submission_id, "probe.jsonl")


def generation_result_key(submission_id: str) -> str:
    return _result(submission_id, "generation.json")


def verification_result_key(submission_id: str) -> str:
    return _result(submission_id, "verification.json")


def parquet_key(submission_id: str) -> str:
    return _result(submission_id, "dataset.parquet")


def parse_summary_key(submission_id: str) -> str:
    return _result(submission_id, "parse.json")


def signals_key(submission_id: str, group: str) -> str:
    return _result(submission_id, f"signals/{group}.json")


def conversation_scores_key(submission_id: str) -> str:
    """Per-conversation scores (Parquet), for miners to see which lines cost them."""
    return _result(submission_id, "conversation_scores.parquet")


def report_key(submission_id: str) -> str:
    return _result(submission_id, "report.json")
