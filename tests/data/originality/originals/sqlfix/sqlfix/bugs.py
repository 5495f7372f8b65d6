"""Bug patterns: each turns a correct query into a subtly wrong one and explains why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlfix.schema import Schema


@dataclass(frozen=True)
class Bug:
    name: str
    correct: Callable[[Schema], str]
    broken: Callable[[Schema], str]
    symptom: str
    cause: str


def _totals(s: Schema) -> str:
    m = s.measures[0]
    return (
        f"SELECT o.name, COALESCE(SUM(t.{m}), 0) AS total_{m}\n"
        f"FROM {s.owner_table} o LEFT JOIN {s.table} t ON t.{s.owner_key} = o.id\n"
        f"GROUP BY o.id ORDER BY total_{m} DESC, o.name;"
    )


def _totals_inner(s: Schema) -> str:
    m = s.measures[0]
    return (
        f"SELECT o.name, COALESCE(SUM(t.{m}), 0) AS total_{m}\n"
        f"FROM {s.owner_table} o JOIN {s.table} t ON t.{s.owner_key} = o.id\n"
        f"GROUP BY o.id ORDER BY total_{m} DESC, o.name;"
    )


def _average(s: Schema) -> str:
    m = s.measures[1]
    return f"SELECT ROUND(AVG(CAST({m} AS REAL)), 2) AS avg_{m} FROM {s.table};"


def _average_int(s: Schema) -> str:
    m = s.measures[1]
    return f"SELECT SUM({m}) / COUNT(*) AS avg_{m} FROM {s.table};"


def _top(s: Schema) -> str:
    m = s.measures[0]
    return f"SELECT id, {m} FROM {s.table} ORDER BY {m} DESC, id LIMIT 3;"


def _top_unsorted(s: Schema) -> str:
    m = s.measures[0]
    return f"SELECT id, {m} FROM {s.table} ORDER BY {m}, id LIMIT 3;"


def _count_owners(s: Schema) -> str:
    return f"SELECT COUNT(DISTINCT {s.owner_key}) AS active FROM {s.table};"


def _count_rows(s: Schema) -> str:
    return f"SELECT COUNT({s.owner_key}) AS active FROM {s.table};"


BUGS: list[Bug] = [
    Bug(
        "inner_join_drops_zero",
        _totals,
        _totals_inner,
        "owners without any rows are missing from the report",
        "an inner JOIN keeps only owners that have at least one matching row",
    ),
    Bug(
        "integer_division",
        _average,
        _average_int,
        "the average is always a whole number",
        "SUM / COUNT on integers is integer division in SQLite",
    ),
    Bug(
        "wrong_sort_direction",
        _top,
        _top_unsorted,
        "the 'top 3' list shows the smallest values",
        "ORDER BY defaults to ascending; the top list needs DESC",
    ),
    Bug(
        "count_not_distinct",
        _count_owners,
        _count_rows,
        "the number of active owners is larger than the number of owners",
        "COUNT(col) counts rows, not distinct owners",
    ),
]
