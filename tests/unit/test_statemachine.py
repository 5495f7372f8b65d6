"""The state machine definition agrees with the code it drives."""

from __future__ import annotations

import json
import re
from pathlib import Path

from dfab.scoring.registry import GROUPS

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = json.loads((ROOT / "statemachine" / "evaluation.asl.json").read_text())


def _tasks(states: dict) -> dict[str, dict]:
    out = {}
    for name, state in states.items():
        out[name] = state
        for branch in state.get("Branches", []):
            out.update(_tasks(branch["States"]))
    return out


def test_score_has_one_branch_per_signal_group() -> None:
    branches = DEFINITION["States"]["Score"]["Branches"]
    groups = [next(iter(b["States"].values()))["Parameters"]["Payload"]["group"] for b in branches]
    assert groups == list(GROUPS)


def test_every_task_state_is_caught_into_mark_failed() -> None:
    top = DEFINITION["States"]
    for name, state in top.items():
        if state["Type"] in ("Task", "Parallel") and name != "MarkFailed":
            targets = [c["Next"] for c in state.get("Catch", [])]
            assert targets == ["MarkFailed"], name
            assert state["Catch"][0]["ErrorEquals"] == ["States.ALL"], name
    # MarkFailed ends the execution as the submission ended: failed, or (a COMPLETED
    # submission whose Aggregate timed out afterwards) succeeded.
    verdict = top[top["MarkFailed"]["Next"]]
    assert verdict["Type"] == "Choice"
    assert [(c["Variable"], c["StringEquals"], c["Next"]) for c in verdict["Choices"]] == [
        ("$.marked.status", "COMPLETED", "Done")
    ]
    assert verdict["Default"] == "EvaluationFailed"
    assert top["MarkFailed"]["ResultPath"] == "$.marked"


def test_no_indexed_field_json_paths() -> None:
    # moto's interpreter mishandles `[n].field` paths; the definition avoids them.
    paths = re.findall(r'"(\$[^"]*)"', json.dumps(DEFINITION))
    assert paths, "the definition uses JSONPaths"
    assert not [p for p in paths if re.search(r"\[\d+\]\.", p)]
