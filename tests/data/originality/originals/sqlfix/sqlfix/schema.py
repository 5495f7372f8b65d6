"""Random but coherent relational schemas with rows, loaded into an in-memory SQLite."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass, field

ENTITIES = {
    "orders": ("customer", ["amount", "quantity"]),
    "tickets": ("agent", ["priority", "minutes_open"]),
    "shipments": ("carrier", ["weight", "distance"]),
    "invoices": ("client", ["total", "discount"]),
}
PEOPLE = ["ada", "grace", "linus", "barbara", "ken", "dennis", "margaret", "alan"]


@dataclass
class Schema:
    table: str
    owner_table: str
    owner_key: str
    measures: list[str]
    owners: list[tuple[int, str]] = field(default_factory=list)
    rows: list[tuple[int, int, int, int]] = field(default_factory=list)

    def ddl(self) -> str:
        cols = ", ".join(f"{m} INTEGER NOT NULL" for m in self.measures)
        return (
            f"CREATE TABLE {self.owner_table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
            f"CREATE TABLE {self.table} (id INTEGER PRIMARY KEY, "
            f"{self.owner_key} INTEGER REFERENCES {self.owner_table}(id), {cols});"
        )

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(":memory:")
        db.executescript(self.ddl())
        db.executemany(f"INSERT INTO {self.owner_table} VALUES (?, ?)", self.owners)
        marks = ", ".join("?" for _ in range(2 + len(self.measures)))
        db.executemany(f"INSERT INTO {self.table} VALUES ({marks})", self.rows)
        return db


def make_schema(rng: random.Random) -> Schema:
    table = rng.choice(sorted(ENTITIES))
    owner, measures = ENTITIES[table]
    schema = Schema(table, owner + "s", owner + "_id", list(measures))
    names = rng.sample(PEOPLE, rng.randint(3, 6))
    schema.owners = [(i + 1, n) for i, n in enumerate(names)]
    next_id = 1
    for owner_id, _ in schema.owners:
        for _ in range(rng.randint(0, 4)):
            schema.rows.append((next_id, owner_id, rng.randint(1, 500), rng.randint(1, 40)))
            next_id += 1
    return schema


def render(cursor: sqlite3.Cursor) -> str:
    """Rows as sqlite3's column mode prints them (header, dashes, values)."""
    header = [d[0] for d in cursor.description]
    rows = [[("NULL" if v is None else str(v)) for v in row] for row in cursor.fetchall()]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows)
    return "\n".join(lines)


def execute(schema: Schema, query: str) -> tuple[str, bool]:
    db = schema.connect()
    try:
        return render(db.execute(query)), True
    except sqlite3.Error as exc:
        return f"Error: {exc}", False
    finally:
        db.close()
