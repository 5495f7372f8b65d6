"""`rescore_submission`: the stored dataset scored again, the new report stored beside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_signals_support import varied_lines

from dfab import SCORER_VERSION
from dfab.dataset.ingest import ingest_jsonl
from dfab.pipeline.facts import ParseDocument
from dfab.scoring.rescore import RescoreError, rescore_submission, rescored_report_key
from dfab.settings import Settings
from dfab.storage import keys, objects
from dfab.storage.resources import Resources


def _store(aws: Resources, tmp: Path, sid: str) -> None:
    data = tmp / "d.jsonl"
    data.write_text("".join(json.dumps(x) + "\n" for x in varied_lines(6)), encoding="utf-8")
    parquet = tmp / "d.parquet"
    ingest = ingest_jsonl(data, parquet, Settings().dataset.limits(), 10)
    doc = ParseDocument(summary=ingest.summary, requested=6, verifiable_ids=ingest.verifiable_ids)
    objects.put_json(aws, keys.parse_summary_key(sid), doc.model_dump(mode="json"))
    objects.upload(aws, parquet, keys.parquet_key(sid))
    old = {
        "submission_id": sid,
        "hotkey": "5Fold",
        "score": 0.5,
        "scorer_version": "0.1.0",
        "gates": [],
        "signals": [],
    }
    objects.put_json(aws, keys.report_key(sid), old)


def test_rescore_writes_a_versioned_report(aws: Resources, tmp_path: Path) -> None:
    _store(aws, tmp_path, "sub-1")
    report = rescore_submission(aws, Settings(), "sub-1")
    assert report.scorer_version == SCORER_VERSION and report.hotkey == "5Fold"
    stored = objects.get_json(aws, rescored_report_key("sub-1"))
    assert stored["score"] == report.score
    assert rescored_report_key("sub-1").endswith(f"report-{SCORER_VERSION}.json")
    assert any("0.1.0" in n for n in report.notes)
    assert objects.get_json(aws, keys.report_key("sub-1"))["score"] == 0.5  # original kept


def test_rescore_uses_the_stored_probe(aws: Resources, tmp_path: Path) -> None:
    _store(aws, tmp_path, "sub-3")
    aws.s3.put_object(
        Bucket=aws.bucket,
        Key=keys.probe_dataset_key("sub-3"),
        Body=(tmp_path / "d.jsonl").read_bytes(),
    )  # a static dump: same lines
    report = rescore_submission(aws, Settings(), "sub-3")
    gate = next(g for g in report.gates if g.name == "seed_dependence")
    assert not gate.passed and report.score == 0.0


def test_rescore_needs_a_parsed_submission(aws: Resources) -> None:
    with pytest.raises(RescoreError, match="parse summary"):
        rescore_submission(aws, Settings(), "nope")


def test_rescore_command(
    aws: Resources, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from dfab.cli import cmd_rescore

    _store(aws, tmp_path, "sub-2")
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config")
    parent.add_argument("--json", action="store_true")
    parser = argparse.ArgumentParser()
    cmd_rescore.register(parser.add_subparsers(), parent)
    args = parser.parse_args(
        [
            "rescore",
            "sub-2",
            "--json",
            "--bucket",
            aws.bucket,
            "--submissions-table",
            aws.submissions_table,
            "--region",
            aws.region,
        ]
    )
    code = args.handler(args)
    out = json.loads(capsys.readouterr().out)
    assert out[0]["submission_id"] == "sub-2" and out[0]["scorer_version"] == SCORER_VERSION
    assert code in (0, 1)  # 6 conversations are under min_conversations: gated, exit 1
    assert objects.get_json(aws, rescored_report_key("sub-2")) is not None
