"""Score step: one signal group over the stored Parquet dataset."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from dfab.contracts.reasons import ReasonClass
from dfab.dataset.parquet import read_conversations
from dfab.pipeline.errors import StageFailed
from dfab.pipeline.facts import ParseDocument
from dfab.scoring.aggregate import compute_group
from dfab.scoring.signal import ScoringInput
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.resources import Resources


def score_group(
    res: Resources, settings: Settings, submission_id: str, group: str
) -> dict[str, Any]:
    raw = objects.get_json(res, keys.parse_summary_key(submission_id))
    if raw is None:
        raise StageFailed(ReasonClass.INTERNAL, "the parse step left no summary")
    parsed = ParseDocument.model_validate(raw)
    with tempfile.TemporaryDirectory(prefix="dfab-score-") as tmp:
        parquet = Path(tmp) / "dataset.parquet"
        if not objects.download(res, keys.parquet_key(submission_id), parquet):
            raise StageFailed(ReasonClass.INTERNAL, "the parse step left no Parquet dataset")
        data = ScoringInput(
            facts=parsed.facts(),
            settings=settings,
            conversations=lambda: read_conversations(parquet),
        )
        results = compute_group(group, data)
    objects.put_json(
        res,
        keys.signals_key(submission_id, group),
        {"group": group, "signals": [r.model_dump(mode="json") for r in results]},
    )
    return {"group": group, "signals": len(results)}
