"""Score a bare dataset file with no AWS at all (`dfab score`)."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from dfab.contracts.report import ScoreReport, SignalResult
from dfab.dataset.ingest import ingest_jsonl
from dfab.dataset.parquet import read_conversations
from dfab.pipeline.facts import ParseDocument
from dfab.scoring.aggregate import build_report, compute_group
from dfab.scoring.registry import GROUPS
from dfab.scoring.signal import ScoringInput
from dfab.settings import Settings


def _file_id(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return f"dataset-{h.hexdigest()[:16]}"


def score_jsonl(path: Path, settings: Settings, requested: int | None = None) -> ScoreReport:
    """The same parse, signals and aggregation the pipeline runs, in one process."""
    wanted = requested if requested is not None else settings.generation.num_conversations
    with tempfile.TemporaryDirectory(prefix="dfab-score-") as tmp:
        parquet = Path(tmp) / "dataset.parquet"
        ds = settings.dataset
        ingest = ingest_jsonl(path, parquet, ds.limits(), ds.max_reported_invalid)
        doc = ParseDocument(
            summary=ingest.summary, requested=wanted, verifiable_ids=ingest.verifiable_ids
        )
        data = ScoringInput(
            facts=doc.facts(),
            settings=settings,
            conversations=lambda: read_conversations(parquet),
        )
        signals: list[SignalResult] = []
        for group in GROUPS:
            signals.extend(compute_group(group, data))
    report = build_report(
        submission_id=_file_id(path),
        hotkey=None,
        facts=doc.facts(),
        signals=signals,
        settings=settings,
    )
    report.dataset = doc.report_view()
    return report
