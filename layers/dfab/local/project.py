"""Locate the checkout's deployable files (template, definition, functions)."""

from __future__ import annotations

from pathlib import Path

import dfab


class ProjectNotFound(RuntimeError):
    """The dfab package is not running from a checkout that holds template.yaml."""


def project_root() -> Path:
    """The checkout root: the directory above `layers/` that holds `template.yaml`."""
    here = Path(dfab.__file__).resolve().parent
    for candidate in (here.parent.parent, *here.parents):
        if (candidate / "template.yaml").is_file() and (candidate / "functions").is_dir():
            return candidate
    raise ProjectNotFound(
        "the local stack runs the deployed template and needs a dfab checkout "
        "(template.yaml, functions/, statemachine/); install with `pip install -e .`"
    )
