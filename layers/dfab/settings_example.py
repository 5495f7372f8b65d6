"""Render `config.example.yaml` from the settings model, so the two never disagree."""

from __future__ import annotations

import json

from pydantic import BaseModel

from dfab.settings import Settings

HEADER = """\
# dfab validator configuration: every setting, its default and its meaning.
# Generated from dfab.settings.Settings by `dfab config --example` (a test fails
# when it is stale). Use it with `--config FILE` or DFAB_CONFIG=FILE; on AWS put the
# YAML in the SSM parameter named by the stack's ConfigParameterName output.
# Omitted settings take these defaults.
"""


def _scalar(value: object) -> str:
    return json.dumps(value) if value is not None else "null"


def render_example() -> str:
    defaults = Settings()
    lines = [HEADER.rstrip("\n")]
    for section_name in Settings.model_fields:
        section: BaseModel = getattr(defaults, section_name)
        doc = (type(section).__doc__ or "").strip().splitlines()[0]
        lines += ["", f"# {doc}", f"{section_name}:"]
        for name, field in type(section).model_fields.items():
            if field.description:
                lines.append(f"  # {field.description}")
            value = getattr(section, name)
            if isinstance(value, dict):
                lines.append(f"  {name}:")
                lines += [f"    {k}: {_scalar(v)}" for k, v in value.items()]
            else:
                lines.append(f"  {name}: {_scalar(value)}")
    return "\n".join(lines) + "\n"
