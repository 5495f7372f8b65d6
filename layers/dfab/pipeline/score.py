"""Score step: one signal group over the stored Parquet dataset and its side inputs."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from dfab.contracts.dataset import Conversation
from dfab.contracts.reasons import ReasonClass
from dfab.dataset.parquet import read_conversations
from dfab.dataset.parser import iter_verdicts
from dfab.originality.dataset_index import DatasetIndex
from dfab.originality.harness_index import HarnessIndex
from dfab.originality.models import SubmissionRef
from dfab.originality.value import originality_value
from dfab.pipeline.errors import StageFailed
from dfab.pipeline.facts import ParseDocument
from dfab.scoring.aggregate import compute_group
from dfab.scoring.conversation_scores import write_conversation_scores
from dfab.scoring.signal import OriginalityInput, ScoringInput
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.resources import Resources
from dfab.storage.submissions import get_submission

#: The branch that also stores per-conversation scores.
PER_CONVERSATION_GROUP = "quality"


def probe_reader(path: Path, settings: Settings) -> Callable[[], Iterator[Conversation]]:
    """The probe run's valid conversations, judged by the same parser as the dataset."""

    def read() -> Iterator[Conversation]:
        with path.open("rb") as stream:
            for verdict in iter_verdicts(stream, settings.dataset.limits()):
                if verdict.conversation is not None:
                    yield verdict.conversation

    return read


def measure_originality(
    res: Resources,
    settings: Settings,
    submission_id: str,
    conversations: Callable[[], Iterator[Conversation]],
) -> tuple[OriginalityInput, bool | None]:
    """Harness verdict (from validation) + dataset originality (judged and indexed now).

    Only the originality branch calls this: indexing the dataset is a write, and the
    first submission to show a conversation owns it.
    """
    record = get_submission(res, submission_id)
    ref = SubmissionRef(
        submission_id=submission_id, hotkey=record.hotkey, created_at=record.created_at
    )
    verdict = HarnessIndex.for_resources(res).verdict(submission_id)
    dataset = DatasetIndex.for_resources(res, settings.originality).check_and_add(
        ref, conversations()
    )
    value = originality_value(verdict, dataset, settings.originality)
    plagiarized = verdict.verdict == "plagiarized" if verdict is not None else None
    return OriginalityInput(value.value, dict(value.evidence)), plagiarized


def scoring_input(
    res: Resources, settings: Settings, submission_id: str, workdir: Path
) -> ScoringInput:
    """Gather everything the signals read: parse facts, Parquet, verification, probe."""
    raw = objects.get_json(res, keys.parse_summary_key(submission_id))
    if raw is None:
        raise StageFailed(ReasonClass.INTERNAL, "the parse step left no summary")
    parsed = ParseDocument.model_validate(raw)
    parquet = workdir / "dataset.parquet"
    if not objects.download(res, keys.parquet_key(submission_id), parquet):
        raise StageFailed(ReasonClass.INTERNAL, "the parse step left no Parquet dataset")
    probe_path = workdir / "probe.jsonl"
    has_probe = objects.download(res, keys.probe_dataset_key(submission_id), probe_path)
    return ScoringInput(
        facts=parsed.facts(),
        settings=settings,
        conversations=lambda: read_conversations(parquet),
        submission_id=submission_id,
        parquet=parquet,
        verification=objects.get_json(res, keys.verification_result_key(submission_id)),
        probe=probe_reader(probe_path, settings) if has_probe else None,
    )


def score_group(
    res: Resources, settings: Settings, submission_id: str, group: str
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dfab-score-") as tmp:
        data = scoring_input(res, settings, submission_id, Path(tmp))
        if group == "originality":
            data.originality, data.plagiarized = measure_originality(
                res, settings, submission_id, data.conversations
            )
        results = compute_group(group, data)
        if group == PER_CONVERSATION_GROUP:  # its pass is already cached here
            table = Path(tmp) / "conversation_scores.parquet"
            write_conversation_scores(data, table)
            objects.upload(res, table, keys.conversation_scores_key(submission_id))
    objects.put_json(
        res,
        keys.signals_key(submission_id, group),
        {"group": group, "signals": [r.model_dump(mode="json") for r in results]},
    )
    return {"group": group, "signals": len(results)}
