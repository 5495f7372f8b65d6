"""Settings: one validated model, mirrored by config.example.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dfab.settings import ConfigError, Settings, load_settings
from dfab.settings_example import render_example

ROOT = Path(__file__).resolve().parents[2]


def test_config_example_is_current() -> None:
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    assert text == render_example(), "config.example.yaml is stale: run `make config-example`"


def test_config_example_lists_every_setting_with_its_default(tmp_path: Path) -> None:
    data = yaml.safe_load(render_example())
    assert Settings.model_validate(data) == Settings()
    for section, model in Settings.model_fields.items():
        assert set(data[section]) == set(model.annotation.model_fields)  # type: ignore[union-attr]


def test_load_from_file_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("generation:\n  num_conversations: 7\n")
    assert load_settings(cfg).generation.num_conversations == 7
    monkeypatch.setenv("DFAB_CONFIG", str(cfg))
    assert load_settings().generation.num_conversations == 7


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("generation:\n  num_conversations: 0\n", "generation.num_conversations"),
        ("sandbox:\n  bogus: 1\n", "sandbox.bogus"),
        ("- a list\n", "top level must be a mapping"),
        ("a: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_config_names_the_setting(tmp_path: Path, text: str, fragment: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=None) as info:
        load_settings(cfg)
    assert fragment in str(info.value)
    assert str(cfg) in str(info.value)


def test_missing_config_file() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings("/nonexistent/dfab.yaml")


def test_config_hash_tracks_scoring_settings_only() -> None:
    base = Settings()
    changed_sandbox = Settings.model_validate({"sandbox": {"wall_timeout_s": 5}})
    changed_scoring = Settings.model_validate({"scoring": {"min_conversations": 3}})
    assert base.config_hash() == Settings().config_hash()
    assert base.config_hash() == changed_sandbox.config_hash()
    assert base.config_hash() != changed_scoring.config_hash()
