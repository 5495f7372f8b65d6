"""Components, scales, gates, weights and determinism of the final score."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dfab.contracts.report import SignalResult
from dfab.scoring.aggregate import build_report, check_scoring_config
from dfab.scoring.registry import GROUPS, SCALE_SIGNALS, SIGNALS, signal_names
from dfab.scoring.signal import DatasetFacts
from dfab.settings import DEFAULT_SIGNAL_WEIGHTS, ConfigError, Settings

LINE = {
    "schema_version": 1,
    "id": "x",
    "messages": [
        {"role": "user", "content": "Fix the failing test in utils.py"},
        {"role": "assistant", "content": "Changed `<` to `<=` in clamp()."},
    ],
}
FACTS = DatasetFacts(total_lines=200, valid_lines=200, invalid_lines=0, requested=200)


def _sig(name: str, value: float, *, measured: bool = True, **evidence: object) -> SignalResult:
    signal = next(s for s in SIGNALS if s.name == name)
    weight = 0.0 if name in SCALE_SIGNALS else DEFAULT_SIGNAL_WEIGHTS[name]
    ev = dict(evidence)
    if not measured:
        ev["measured"] = False
    return SignalResult(name=name, group=signal.group, weight=weight, value=value, evidence=ev)


def _all(value: float = 1.0, **overrides: float) -> list[SignalResult]:
    out = []
    for s in SIGNALS:
        v = overrides.get(s.name.replace(".", "__"), value)
        measured = not (s.name == "originality.value" and "originality__value" not in overrides)
        out.append(_sig(s.name, v, measured=measured))
    return out


def test_every_signal_has_a_default_weight_or_is_a_scale() -> None:
    assert set(DEFAULT_SIGNAL_WEIGHTS) | set(SCALE_SIGNALS) == signal_names()
    assert not set(DEFAULT_SIGNAL_WEIGHTS) & set(SCALE_SIGNALS)
    assert GROUPS == ("quality", "agentic", "diversity", "originality")


def test_perfect_signals_score_one() -> None:
    r = build_report(
        submission_id="s", hotkey="h", facts=FACTS, signals=_all(), settings=Settings()
    )
    assert r.score == pytest.approx(1.0)
    assert r.components["quality"] == pytest.approx(1.0)
    assert "originality" not in r.components  # not measured: left out, renormalized
    assert any("originality was not measured" in n for n in r.notes)
    assert all(g.passed for g in r.gates) and r.reason is None


def test_components_are_weighted_and_scaled() -> None:
    signals = _all(quality__coherence=0.0, integrity__clean_share=0.5, originality__value=0.2)
    r = build_report(
        submission_id="s", hotkey="h", facts=FACTS, signals=signals, settings=Settings()
    )
    q_raw = 1 - 0.2  # coherence has weight 0.2 of the quality signals (sum 1.0)
    scale = 0.5 * (0.2 / 0.5)  # clean share x originality under its full-credit mark
    assert r.components["effective_share"] == pytest.approx(scale)
    assert r.components["quality"] == pytest.approx(q_raw * scale)
    assert r.components["agentic"] == pytest.approx(scale)
    expected = 0.5 * q_raw * scale + 0.4 * scale + 0.1 * 0.2
    assert r.score == pytest.approx(expected, abs=1e-6)


def test_unmeasured_signals_drop_out_of_their_means() -> None:
    signals = [
        s if s.name != "diversity.probe_differs" else _sig(s.name, 0.0, measured=False)
        for s in _all()
    ]
    r = build_report(
        submission_id="s", hotkey="h", facts=FACTS, signals=signals, settings=Settings()
    )
    assert r.score == pytest.approx(1.0)
    assert "seed_dependence" not in [g.name for g in r.gates]


@pytest.mark.parametrize(
    ("valid", "total", "failed_gate"),
    [(150, 200, "valid_fraction"), (50, 50, "min_conversations")],
)
def test_failed_gate_forces_zero_with_reason(valid: int, total: int, failed_gate: str) -> None:
    facts = DatasetFacts(
        total_lines=total, valid_lines=valid, invalid_lines=total - valid, requested=200
    )
    r = build_report(
        submission_id="s", hotkey="h", facts=facts, signals=_all(), settings=Settings()
    )
    assert r.score == 0.0
    assert [g.name for g in r.gates if not g.passed] == [failed_gate]
    assert r.reason is not None and failed_gate in r.reason.message


def test_plagiarism_and_seed_dependence_gates() -> None:
    r = build_report(
        submission_id="s",
        hotkey="h",
        facts=FACTS,
        signals=_all(),
        settings=Settings(),
        plagiarized=True,
    )
    assert r.score == 0.0 and r.reason is not None and r.reason.reason_class == "PLAGIARISM"
    signals = [s if s.name != "diversity.probe_differs" else _sig(s.name, 0.1) for s in _all()]
    r = build_report(
        submission_id="s", hotkey="h", facts=FACTS, signals=signals, settings=Settings()
    )
    gate = next(g for g in r.gates if g.name == "seed_dependence")
    assert not gate.passed and r.score == 0.0
    assert r.reason is not None and r.reason.reason_class == "DATASET_INVALID"
    # the verdict can also arrive through the originality signal's evidence
    signals = [
        s if s.name != "originality.value" else _sig(s.name, 0.0, plagiarized=True) for s in _all()
    ]
    r = build_report(
        submission_id="s", hotkey="h", facts=FACTS, signals=signals, settings=Settings()
    )
    assert r.score == 0.0


def test_bad_weights_are_refused() -> None:
    for bad, match in (
        ({"weights": {"quality.magic": 1.0}}, r"quality\.magic"),
        ({"weights": {"integrity.clean_share": 1.0}}, "scale signals"),
        ({"agentic_weights": {"vibes": 1.0}}, "vibes"),
        ({"component_weights": {"style": 1.0}}, "style"),
    ):
        with pytest.raises(ConfigError, match=match):
            check_scoring_config(Settings.model_validate({"scoring": bad}))


def test_partial_weights_merge_over_defaults() -> None:
    s = Settings.model_validate({"scoring": {"weights": {"quality.coherence": 0.9}}})
    assert s.scoring.weights["quality.coherence"] == 0.9
    assert s.scoring.weights["tool_use.loops"] == DEFAULT_SIGNAL_WEIGHTS["tool_use.loops"]


def test_same_dataset_scores_the_same_in_two_processes(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    lines = [json.dumps({**LINE, "id": f"c{i}"}) for i in range(120)] + ["{bad"]
    data.write_text("\n".join(lines) + "\n")
    outs = []
    for seed in ("0", "1"):
        proc = subprocess.run(
            [sys.executable, "-m", "dfab.cli.main", "score", str(data), "--json"],
            capture_output=True,
            text=True,
            check=False,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        )
        assert proc.returncode in (0, 1), proc.stderr
        outs.append(json.loads(proc.stdout))
    assert outs[0] == outs[1]
    # 120 copies of one trivial exchange: near-duplicates and off-topic, worth (almost) nothing
    assert outs[0]["score"] < 0.05
