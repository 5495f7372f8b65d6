"""Gates, weights and determinism of the final score."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from dfab.contracts.report import SignalResult
from dfab.scoring.aggregate import build_report, check_scoring_config
from dfab.scoring.signal import DatasetFacts
from dfab.settings import ConfigError, Settings

LINE = {
    "schema_version": 1,
    "id": "x",
    "messages": [
        {"role": "user", "content": "Fix the failing test in utils.py"},
        {"role": "assistant", "content": "Changed `<` to `<=` in clamp()."},
    ],
}


def _signals(v1: float, v2: float) -> list[SignalResult]:
    return [
        SignalResult(name="format.valid_fraction", group="format", weight=0.5, value=v1),
        SignalResult(name="format.volume", group="format", weight=0.5, value=v2),
    ]


def test_score_is_the_weighted_mean_when_gates_pass() -> None:
    facts = DatasetFacts(total_lines=200, valid_lines=200, invalid_lines=0, requested=200)
    r = build_report(
        submission_id="s", hotkey="h", facts=facts, signals=_signals(1.0, 0.5), settings=Settings()
    )
    assert r.score == pytest.approx(0.75)
    assert r.components == {"format": pytest.approx(0.75)}
    assert all(g.passed for g in r.gates) and r.reason is None
    assert r.notes, "the report must say which signals do not exist yet"


@pytest.mark.parametrize(
    ("valid", "total", "failed_gate"),
    [(150, 200, "valid_fraction"), (50, 50, "min_conversations")],
)
def test_failed_gate_forces_zero_with_reason(valid: int, total: int, failed_gate: str) -> None:
    facts = DatasetFacts(
        total_lines=total, valid_lines=valid, invalid_lines=total - valid, requested=200
    )
    r = build_report(
        submission_id="s", hotkey="h", facts=facts, signals=_signals(1, 1), settings=Settings()
    )
    assert r.score == 0.0
    assert [g.name for g in r.gates if not g.passed] == [failed_gate]
    assert r.reason is not None and failed_gate in r.reason.message


def test_unknown_weights_are_refused() -> None:
    bad = Settings.model_validate({"scoring": {"weights": {"quality.magic": 1.0}}})
    with pytest.raises(ConfigError, match=r"quality\.magic"):
        check_scoring_config(bad)
    bad = Settings.model_validate({"scoring": {"group_weights": {"vibes": 1.0}}})
    with pytest.raises(ConfigError, match="vibes"):
        check_scoring_config(bad)


def test_same_dataset_scores_the_same_in_two_processes(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    lines = [json.dumps({**LINE, "id": f"c{i}"}) for i in range(120)] + ["{bad"]
    data.write_text("\n".join(lines) + "\n")
    outs = []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-m", "dfab.cli.main", "score", str(data), "--json"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outs.append(json.loads(proc.stdout))
    assert outs[0] == outs[1]
    assert outs[0]["score"] == pytest.approx(0.5 * 120 / 121 + 0.5 * 120 / 200, abs=1e-6)
