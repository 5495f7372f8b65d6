"""One pass over a JSONL file: verdicts -> summary, valid lines -> Parquet, verifiable ids."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dfab.contracts.dataset import DatasetLimits
from dfab.dataset.parquet import ConversationWriter
from dfab.dataset.parser import iter_verdicts
from dfab.dataset.summary import ParseSummary, SummaryBuilder


@dataclass(frozen=True)
class IngestResult:
    summary: ParseSummary
    verifiable_ids: list[str]


def ingest_jsonl(
    jsonl: Path, parquet: Path, limits: DatasetLimits, max_reported_invalid: int
) -> IngestResult:
    """Parse `jsonl` once, streaming; memory stays bounded whatever the file size."""
    builder = SummaryBuilder(max_reported_invalid)
    verifiable: list[str] = []
    with jsonl.open("rb") as stream, ConversationWriter(parquet) as writer:
        for verdict in iter_verdicts(stream, limits):
            builder.add(verdict)
            conv = verdict.conversation
            if conv is not None:
                writer.write(conv, verdict.line_number, verdict.size)
                if conv.verification is not None:
                    verifiable.append(conv.id)
    return IngestResult(builder.summary(), verifiable)
