"""End to end on one machine: the deployed definition, run by moto, with the real sandbox.

These tests run the very state machine file template.yaml deploys; the Lambda and ECS
calls it makes are answered in-process (dfab.local.aws_router) and harness code runs in
bubblewrap.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import SMALL

from conftest import EXAMPLE_HARNESS, bwrap_usable
from dfab.contracts.reasons import ReasonClass
from dfab.contracts.submission import SubmissionStatus
from dfab.local.evaluate import HarnessArchive, evaluate_in_stack, read_harness
from dfab.local.stack import LocalStack
from dfab.scoring.registry import SIGNALS
from dfab.settings import Settings
from dfab.storage import keys
from dfab.storage.best_scores import get_best_score
from dfab.storage.submissions import get_submission

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(not bwrap_usable(), reason="bubblewrap is not installed"),
]


def _settings(**overrides: dict) -> Settings:
    data = {k: dict(v) for k, v in SMALL.items()}
    for section, values in overrides.items():
        data.setdefault(section, {}).update(values)
    return Settings.model_validate(data)


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack(_settings()) as s:
        yield s


def _harness(tmp_path: Path, body: str, manifest_extra: str = "") -> HarnessArchive:
    root = tmp_path / "h"
    root.mkdir()
    (root / "harness.toml").write_text(
        textwrap.dedent(
            """\
            [harness]
            name = "test-harness"
            version = "0.1.0"
            entrypoint = "generate.py"
            description = "test"
            """
        )
        + manifest_extra
    )
    (root / "generate.py").write_text(textwrap.dedent(body))
    return read_harness(root)


def test_example_harness_completes_with_a_score(stack: LocalStack) -> None:
    report = evaluate_in_stack(stack, read_harness(EXAMPLE_HARNESS), poll_s=0.1)
    assert report.status == SubmissionStatus.COMPLETED, report.reason
    assert report.score > 0.8
    assert all(g.passed for g in report.gates)
    names = {s.name for s in report.signals}
    assert {s.name for s in SIGNALS} == names  # every registered signal is reported
    probe = next(s for s in report.signals if s.name == "diversity.probe_differs")
    assert probe.evidence.get("probe_conversations") == 10  # the probe run was scored
    verified = next(s for s in report.signals if s.name == "verifiability.verified_share")
    assert verified.evidence.get("sandbox_ran") == 3  # the Verify task's results were used
    assert report.dataset and report.dataset["valid"] == 24
    assert report.generation and report.generation["exit_reason"] == "ok"
    assert report.verification and report.verification["passed"] == 3

    res = stack.resources
    record = get_submission(res, report.submission_id)
    assert [e.status.value for e in record.timeline] == [
        "PENDING_UPLOAD",
        "VALIDATING",
        "QUEUED",
        "GENERATING",
        "SCORING",
        "COMPLETED",
    ]
    best = get_best_score(res, record.hotkey)
    assert best is not None and best.submission_id == report.submission_id
    per_conversation = res.s3.head_object(
        Bucket=res.bucket, Key=keys.conversation_scores_key(report.submission_id)
    )
    assert per_conversation["ContentLength"] > 0
    states = stack.execution_states(report.submission_id)
    for state in ("PrepareGenerate", "Generate", "Parse", "Verify", "ScoreQuality", "Aggregate"):
        assert state in states
    assert "MarkFailed" not in states
    assert stack.router is not None
    assert {"PrepareTaskFunction", "ParseFunction", "AggregateFunction"} <= set(
        stack.router.invocations
    )


def test_crashing_harness_ends_failed_with_reason(stack: LocalStack, tmp_path: Path) -> None:
    harness = _harness(
        tmp_path,
        """\
        import sys
        print("about to fail", file=sys.stderr)
        raise SystemExit(3)
        """,
    )
    report = evaluate_in_stack(stack, harness, poll_s=0.1)
    assert report.status == SubmissionStatus.FAILED
    assert report.score == 0.0
    assert report.reason is not None
    assert report.reason.reason_class == ReasonClass.HARNESS_EXIT
    assert "about to fail" in report.reason.message
    record = get_submission(stack.resources, report.submission_id)
    assert record.status == SubmissionStatus.FAILED
    assert record.reason == report.reason
    assert "MarkFailed" in stack.execution_states(report.submission_id)
    assert get_best_score(stack.resources, record.hotkey) is None


def test_harness_writing_nothing_fails(stack: LocalStack, tmp_path: Path) -> None:
    report = evaluate_in_stack(stack, _harness(tmp_path, "print('nothing')\n"), poll_s=0.1)
    assert report.status == SubmissionStatus.FAILED
    assert report.reason is not None
    assert report.reason.reason_class == ReasonClass.HARNESS_NO_OUTPUT


def test_harness_over_its_wall_time_fails(tmp_path: Path) -> None:
    with LocalStack(_settings(sandbox={"wall_timeout_s": 2})) as stack:
        report = evaluate_in_stack(
            stack, _harness(tmp_path, "import time\ntime.sleep(60)\n"), poll_s=0.1
        )
    assert report.status == SubmissionStatus.FAILED
    assert report.reason is not None
    assert report.reason.reason_class == ReasonClass.HARNESS_TIMEOUT


def test_broken_manifest_is_rejected_before_anything_runs(
    stack: LocalStack, tmp_path: Path
) -> None:
    harness = _harness(tmp_path, "raise SystemExit(0)\n", manifest_extra="bogus = 1\n")
    report = evaluate_in_stack(stack, harness, poll_s=0.1)
    assert report.status == SubmissionStatus.REJECTED
    assert report.reason is not None
    assert report.reason.reason_class == ReasonClass.MANIFEST_INVALID
    assert stack.execution_status(report.submission_id) is None  # nothing started


def test_unlisted_dependency_is_rejected(stack: LocalStack, tmp_path: Path) -> None:
    harness = _harness(
        tmp_path, "raise SystemExit(0)\n", manifest_extra='dependencies = ["numpy"]\n'
    )
    report = evaluate_in_stack(stack, harness, poll_s=0.1)
    assert report.status == SubmissionStatus.REJECTED
    assert report.reason is not None
    assert report.reason.reason_class == ReasonClass.DEPENDENCY_NOT_ALLOWED


def test_a_step_that_breaks_leaves_the_submission_failed_not_lost(
    stack: LocalStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dfab.pipeline.score as score_step

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("scoring backend exploded")

    monkeypatch.setattr(score_step, "compute_group", broken)
    harness = _harness(
        tmp_path,
        """\
        import json, os
        line = {"schema_version": 1, "id": "x", "messages": [
            {"role": "user", "content": "Fix utils.py"},
            {"role": "assistant", "content": "Done."}]}
        with open(os.environ["DF_OUTPUT_PATH"], "w") as f:
            f.write(json.dumps(line) + "\\n")
        """,
    )
    report = evaluate_in_stack(stack, harness, poll_s=0.1)
    assert report.status == SubmissionStatus.FAILED
    assert report.reason is not None
    assert report.reason.reason_class == ReasonClass.INTERNAL
    assert "scoring backend exploded" in report.reason.message
    assert get_submission(stack.resources, report.submission_id).status == "FAILED"


def test_an_aggregate_dying_after_completion_still_completes(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Aggregate marks the submission COMPLETED, then times out before the best-score write:
    # the state machine catches it into MarkFailed, which keeps the verdict and raises the
    # best score; the execution ends succeeded, as the submission did.
    import dfab.pipeline.aggregate as aggregate_step

    def timed_out(*_: object, **__: object) -> bool:
        raise RuntimeError("Task timed out after 60.00 seconds")

    monkeypatch.setattr(aggregate_step, "raise_best_score", timed_out)
    harness = read_harness(EXAMPLE_HARNESS)
    report = evaluate_in_stack(stack, harness, hotkey="miner-late", poll_s=0.1)
    assert report.status == SubmissionStatus.COMPLETED, report.reason
    record = get_submission(stack.resources, report.submission_id)
    assert record.status == SubmissionStatus.COMPLETED and record.score == report.score
    best = get_best_score(stack.resources, record.hotkey)
    assert best is not None and best.submission_id == report.submission_id
    assert "MarkFailed" in stack.execution_states(report.submission_id)
    assert stack.execution_status(report.submission_id) == "SUCCEEDED"


def test_cli_evaluate_json_report(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(json.dumps(SMALL))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dfab.cli.main",
            "evaluate",
            str(EXAMPLE_HARNESS),
            "--config",
            str(cfg),
            "--out",
            str(tmp_path / "out"),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["status"] == "COMPLETED" and report["score"] > 0.9
    saved = tmp_path / "out" / report["submission_id"]
    assert json.loads((saved / "report.json").read_text()) == report
    assert len((saved / "dataset.jsonl").read_bytes().splitlines()) == 24


def test_cli_evaluate_failing_harness_exits_1(tmp_path: Path) -> None:
    harness = _harness(tmp_path, "raise SystemExit(5)\n")
    archive = tmp_path / "h.zip"
    archive.write_bytes(harness.data)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dfab.cli.main",
            "evaluate",
            str(archive),
            "--json",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["status"] == "FAILED"
    assert report["reason"]["class"] == "HARNESS_EXIT"


ORIGINALS = Path(__file__).resolve().parents[1] / "data" / "originality" / "originals"


def test_another_miners_copy_is_rejected_as_plagiarism(stack: LocalStack, tmp_path: Path) -> None:
    original = ORIGINALS / "sqlfix"
    first = evaluate_in_stack(stack, read_harness(original), hotkey="miner-a", poll_s=0.1)
    assert first.status != SubmissionStatus.REJECTED, first.reason

    # Same code, cosmetic changes: new comments and a new name in the manifest.
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    for source in copy.glob("*.py"):
        source.write_text("# written from scratch, honestly\n" + source.read_text())
    manifest = copy / "harness.toml"
    manifest.write_text(manifest.read_text().replace('name = "', 'name = "my-', 1))
    stolen = evaluate_in_stack(stack, read_harness(copy), hotkey="miner-b", poll_s=0.1)
    assert stolen.status == SubmissionStatus.REJECTED
    assert stolen.reason is not None
    assert stolen.reason.reason_class == ReasonClass.PLAGIARISM
    assert first.submission_id in stolen.reason.message

    # A miner's own resubmission is never plagiarism.
    again = evaluate_in_stack(stack, read_harness(copy), hotkey="miner-a", poll_s=0.1)
    assert again.reason is None or again.reason.reason_class != ReasonClass.PLAGIARISM
