"""Re-score a stored submission with the current scorer, without re-running its harness.

Reads what the pipeline stored under `results/{id}/` (the parsed Parquet dataset, the
parse summary, the sandbox verification results, the probe generation if one ran, and
the previous report, whose originality input and plagiarism verdict are reused), scores
it with this scorer version and writes `results/{id}/report-{scorer_version}.json`
beside the original.
The submission record and the best scores are left alone: a re-score is a comparison,
not a new evaluation.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from dfab import SCORER_VERSION
from dfab.contracts.dataset import Conversation
from dfab.contracts.report import ScoreReport
from dfab.dataset.parquet import read_conversations
from dfab.dataset.parser import iter_verdicts
from dfab.pipeline.facts import ParseDocument
from dfab.scoring.signal import OriginalityInput, ScoringInput
from dfab.scoring.standalone import score_input
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.resources import Resources
from dfab.storage.submissions import SubmissionNotFound, get_submission


class RescoreError(Exception):
    """The stored submission lacks what scoring needs; the message says what."""


def rescored_report_key(submission_id: str, scorer_version: str = SCORER_VERSION) -> str:
    return keys.report_key(submission_id).replace("report.json", f"report-{scorer_version}.json")


def _previous_inputs(
    previous: dict[str, Any] | None,
) -> tuple[OriginalityInput | None, bool | None]:
    """The originality input and plagiarism verdict a stored report recorded, if any."""
    if not previous:
        return None, None
    plagiarized = None
    for gate in previous.get("gates") or []:
        if gate.get("name") == "plagiarism":
            plagiarized = not gate.get("passed", True)
    for sig in previous.get("signals") or []:
        ev = sig.get("evidence") or {}
        if sig.get("name") == "originality.value" and ev.get("measured", True) is not False:
            value = ev.get("input_value", sig.get("value"))
            kept = {k: v for k, v in ev.items() if k not in ("input_value", "plagiarized")}
            return OriginalityInput(float(value), kept), plagiarized
    return None, plagiarized


def _stored_probe(
    resources: Resources, settings: Settings, submission_id: str, dest: Path
) -> Callable[[], Iterator[Conversation]] | None:
    """The stored probe run's valid conversations (judged by the dataset parser), if any."""
    if not objects.download(resources, keys.probe_dataset_key(submission_id), dest):
        return None
    limits = settings.dataset.limits()

    def read() -> Iterator[Conversation]:
        with dest.open("rb") as stream:
            for verdict in iter_verdicts(stream, limits):
                if verdict.conversation is not None:
                    yield verdict.conversation

    return read


def rescore_submission(
    resources: Resources,
    settings: Settings,
    submission_id: str,
    *,
    probe: Callable[[], Iterator[Conversation]] | None = None,
) -> ScoreReport:
    """Score the stored dataset of `submission_id` again and store the new report."""
    raw = objects.get_json(resources, keys.parse_summary_key(submission_id))
    if raw is None:
        raise RescoreError(f"submission {submission_id!r} has no parse summary (was it parsed?)")
    parsed = ParseDocument.model_validate(raw)
    previous = objects.get_json(resources, keys.report_key(submission_id))
    verification = objects.get_json(resources, keys.verification_result_key(submission_id))
    originality, plagiarized = _previous_inputs(previous)
    try:
        hotkey: str | None = get_submission(resources, submission_id).hotkey
    except SubmissionNotFound:
        hotkey = (previous or {}).get("hotkey")
    with tempfile.TemporaryDirectory(prefix="dfab-rescore-") as tmp:
        parquet = Path(tmp) / "dataset.parquet"
        if not objects.download(resources, keys.parquet_key(submission_id), parquet):
            raise RescoreError(f"submission {submission_id!r} has no stored Parquet dataset")
        if probe is None:
            probe = _stored_probe(resources, settings, submission_id, Path(tmp) / "probe.jsonl")
        data = ScoringInput(
            facts=parsed.facts(),
            settings=settings,
            conversations=lambda: read_conversations(parquet),
            submission_id=submission_id,
            parquet=parquet,
            verification=verification,
            probe=probe,
            originality=originality,
            plagiarized=plagiarized,
        )
        report = score_input(data, hotkey=hotkey)
    report.dataset = parsed.report_view()
    report.generation = objects.get_json(resources, keys.generation_result_key(submission_id))
    report.verification = verification
    if previous is not None:
        report.notes.append(
            f"re-scored: the stored report (scorer {previous.get('scorer_version')}) scored "
            f"{previous.get('score')}"
        )
    objects.put_json(resources, rescored_report_key(submission_id), report.dump())
    return report
