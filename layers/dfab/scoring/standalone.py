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
from dfab.scoring.conversation_scores import write_conversation_scores
from dfab.scoring.registry import GROUPS
from dfab.scoring.signal import OriginalityInput, ScoringInput
from dfab.settings import Settings


def file_id(path: Path) -> str:
    """A stable id for a bare file: its content hash (it also seeds the sampling)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return f"dataset-{h.hexdigest()[:16]}"


def score_input(data: ScoringInput, *, hotkey: str | None = None) -> ScoreReport:
    """Every group in one process (the features are computed once and shared)."""
    signals: list[SignalResult] = []
    for group in GROUPS:
        signals.extend(compute_group(group, data))
    return build_report(
        submission_id=data.submission_id,
        hotkey=hotkey,
        facts=data.facts,
        signals=signals,
        settings=data.settings,
        plagiarized=data.plagiarized,
    )


def score_jsonl(
    path: Path,
    settings: Settings,
    requested: int | None = None,
    *,
    probe: Path | None = None,
    originality: OriginalityInput | None = None,
    plagiarized: bool | None = None,
    conversation_scores: Path | None = None,
) -> ScoreReport:
    """The same parse, signals and aggregation the pipeline runs, in one process.

    `probe` is a second generation of the same harness with another seed (JSONL); the
    sandbox verification does not run here, so verifiability counts statically
    meaningful blocks only (the report says so).
    """
    wanted = requested if requested is not None else settings.generation.num_conversations
    ds = settings.dataset
    with tempfile.TemporaryDirectory(prefix="dfab-score-") as tmp:
        parquet = Path(tmp) / "dataset.parquet"
        ingest = ingest_jsonl(path, parquet, ds.limits(), ds.max_reported_invalid)
        doc = ParseDocument(
            summary=ingest.summary, requested=wanted, verifiable_ids=ingest.verifiable_ids
        )
        probe_source = None
        if probe is not None:
            probe_parquet = Path(tmp) / "probe.parquet"
            ingest_jsonl(probe, probe_parquet, ds.limits(), 0)
            probe_source = lambda: read_conversations(probe_parquet)  # noqa: E731
        data = ScoringInput(
            facts=doc.facts(),
            settings=settings,
            conversations=lambda: read_conversations(parquet),
            submission_id=file_id(path),
            parquet=parquet,
            probe=probe_source,
            originality=originality,
            plagiarized=plagiarized,
        )
        report = score_input(data)
        if conversation_scores is not None:
            write_conversation_scores(data, conversation_scores)
    report.dataset = doc.report_view()
    return report
