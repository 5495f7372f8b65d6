"""Helpers for writing scenarios: template filling, bug injection, test-file assembly."""

from __future__ import annotations

import json
import re

from fabricator.convo import Ctx

_SLOT = re.compile(r"\{\{(\w+)\}\}")


def fill(template: str, **values: object) -> str:
    """Replace `{{name}}` slots; code braces stay untouched. Unknown slots are a bug."""

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template slot {{{{{key}}}}} has no value")
        return str(values[key])

    return _SLOT.sub(sub, template)


def swap(code: str, old: str, new: str) -> str:
    """`code` with the one occurrence of `old` replaced: how a bug or fix is injected."""
    if code.count(old) != 1:
        raise ValueError(f"expected exactly one occurrence of {old!r}")
    return code.replace(old, new)


def tests_file(header: str, cases: list[str]) -> str:
    """A pytest module: imports, then test functions two blank lines apart."""
    body = "\n\n\n".join(case.strip("\n") for case in cases)
    return header.strip("\n") + "\n\n\n" + body + "\n"


def ident(ctx: Ctx, *options: str) -> str:
    return ctx.pick(options)


def q(text: str) -> str:
    """A double-quoted Python string literal (json escapes are valid Python escapes)."""
    return json.dumps(text, ensure_ascii=False)
