"""The published JSON Schemas match the models (not stale) and accept what the judge accepts."""

from __future__ import annotations

import argparse
import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from dfab.cli import cmd_schemas
from dfab.contracts.dataset import parse_conversation
from dfab.contracts.schemas import (
    DATASET_LINE,
    HARNESS_MANIFEST,
    dataset_line_schema,
    harness_manifest_schema,
    render_schemas,
)

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "schemas"
STALE = "docs/schemas is stale: run `make schemas` and commit the result"


def test_published_schemas_are_up_to_date() -> None:
    rendered = render_schemas()
    published = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.schema.json")}
    assert set(published) == set(rendered), STALE
    for name, text in rendered.items():
        assert published[name] == text, f"{name}: {STALE}"


def test_rendering_is_deterministic() -> None:
    assert render_schemas() == render_schemas()
    for text in render_schemas().values():
        assert text.endswith("}\n")
        json.loads(text)


def run_cli(**kwargs: Any) -> int:
    args = argparse.Namespace(config=None, json=False, write=None)
    for key, value in kwargs.items():
        setattr(args, key, value)
    return cmd_schemas.run(args)


def test_cli_writes_the_same_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "schemas"
    assert run_cli(write=target) == 0
    assert {p.name: p.read_text() for p in target.iterdir()} == render_schemas()
    assert str(target / DATASET_LINE) in capsys.readouterr().out
    assert run_cli(write=target, json=True) == 0
    assert len(json.loads(capsys.readouterr().out)["written"]) == 2


def test_cli_prints_all_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli() == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {DATASET_LINE, HARNESS_MANIFEST}


# ----------------------------------------------- the schema agrees with the judge

LINE: dict[str, Any] = {
    "schema_version": 1,
    "id": "conv-1",
    "tools": [{"type": "function", "function": {"name": "read_file", "parameters": {}}}],
    "messages": [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": [{"type": "text", "text": "Fix it"}]},
        {
            "role": "assistant",
            "thinking": "Look first.",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": {}}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "x = 1"},
        {"role": "assistant", "reasoning": "Done.", "content": "Fixed."},
    ],
    "task": {"language": ["python", "sql"], "difficulty": "hard"},
    "metadata": {"any": ["thing"]},
}


def validator(schema: dict[str, Any]) -> Any:
    jsonschema = pytest.importorskip("jsonschema")  # skip only these tests when absent
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_dataset_schema_accepts_the_accepted_input_forms() -> None:
    assert parse_conversation(LINE)[1] == []
    validator(dataset_line_schema()).validate(LINE)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["id"], ""),
        (["id"], "x" * 129),
        (["messages"], [{"role": "user", "content": "only one"}]),
        (["messages", 1, "role"], "bot"),
        (["messages", 1, "content"], [{"type": "image", "url": "x"}]),
        (["messages", 2, "tool_calls", 0, "function", "arguments"], 5),
        (["task", "difficulty"], "trivial"),
        (["schema_version"], 2),
        (["surprise"], True),
    ],
)
def test_dataset_schema_refuses_shape_errors_the_judge_refuses(path: list[Any], value: Any) -> None:
    line = copy.deepcopy(LINE)
    target: Any = line
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert parse_conversation(line)[0] is None
    assert list(validator(dataset_line_schema()).iter_errors(line))


def test_manifest_schema_accepts_the_contract_example() -> None:
    doc = tomllib.loads(
        '[harness]\nname = "my-harness"\nversion = "0.1.0"\nentrypoint = "generate.py"\n'
        'description = "What this harness generates and how."\ndependencies = []\n'
    )
    check = validator(harness_manifest_schema())
    check.validate(doc)
    doc["harness"]["extra"] = 1
    assert list(check.iter_errors(doc))
