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
from dfab.pipeline.errors import StageFailed
from dfab.pipeline.facts import ParseDocument
from dfab.scoring.aggregate import compute_group
from dfab.scoring.conversation_scores import write_conversation_scores
from dfab.scoring.signal import ScoringInput
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.resources import Resources

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
