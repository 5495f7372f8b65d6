"""Parse step: check how generation went, then JSONL -> Parquet + verdicts."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

from dfab.contracts.reasons import ReasonClass
from dfab.contracts.submission import SubmissionStatus
from dfab.dataset.ingest import ingest_jsonl
from dfab.generation import GenerationResult
from dfab.pipeline.errors import StageFailed
from dfab.pipeline.facts import ParseDocument
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.resources import Resources
from dfab.storage.submissions import TransitionRefused, transition


def _generation_outcome(res: Resources, submission_id: str) -> GenerationResult:
    doc = objects.get_json(res, keys.generation_result_key(submission_id))
    if doc is None:
        raise StageFailed(
            ReasonClass.INTERNAL, "the generation task ended without a result document"
        )
    result = GenerationResult.model_validate(doc)
    reason = result.failure_reason()
    if reason is not None:
        raise StageFailed(reason.reason_class, reason.message)
    return result


def parse_dataset(res: Resources, settings: Settings, submission_id: str) -> dict[str, Any]:
    generation = _generation_outcome(res, submission_id)
    with tempfile.TemporaryDirectory(prefix="dfab-parse-") as tmp:
        jsonl = Path(tmp) / "dataset.jsonl"
        if not objects.download(res, keys.dataset_key(submission_id), jsonl):
            raise StageFailed(
                ReasonClass.HARNESS_NO_OUTPUT, "the harness exited 0 but no dataset was stored"
            )
        parquet = Path(tmp) / "dataset.parquet"
        ds = settings.dataset
        result = ingest_jsonl(jsonl, parquet, ds.limits(), ds.max_reported_invalid)
        objects.upload(res, parquet, keys.parquet_key(submission_id))
    doc = ParseDocument(
        summary=result.summary,
        requested=generation.count,
        verifiable_ids=result.verifiable_ids,
    )
    objects.put_json(res, keys.parse_summary_key(submission_id), doc.model_dump(mode="json"))
    with contextlib.suppress(TransitionRefused):  # a retried step
        transition(res, submission_id, SubmissionStatus.SCORING)
    return {"valid": result.summary.valid, "invalid": result.summary.invalid}
