"""The scenario registry: every family, its weight in the deck, and its builder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fabricator.convo import Ctx, Draft


@dataclass(frozen=True)
class Family:
    """A scenario family: `build` drafts one conversation from a per-line context."""

    name: str
    language: str
    weight: int
    build: Callable[[Ctx], Draft]


def _collect() -> tuple[Family, ...]:
    from fabricator.families import (
        go_rust,
        js_ts,
        ops_ci,
        py_async,
        py_data,
        py_features,
        py_fixes,
        py_misc,
        shell,
        sql,
    )

    modules = (
        py_fixes,
        py_async,
        py_features,
        py_data,
        py_misc,
        js_ts,
        shell,
        sql,
        go_rust,
        ops_ci,
    )
    found = [f for m in modules for f in m.FAMILIES]
    names = [f.name for f in found]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"duplicate family names: {sorted(dupes)}")
    return tuple(found)


FAMILIES: tuple[Family, ...] = _collect()
