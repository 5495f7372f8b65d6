"""Per-conversation scores: one row per analysed conversation, written to Parquet.

A conversation's score is what it contributes to the dataset score: the weighted
mean of its per-conversation signal values (quality and agentic, with the configured
weights), times its credit after duplicates, times 0 when it carries a red flag. Miners
use the file to find and fix their weakest lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dfab.scoring.registry import SCALE_SIGNALS, component_of, family_of, measuring_signals
from dfab.scoring.signal import ScoringInput
from dfab.scoring.signals.base import store_of


def conversation_rows(data: ScoringInput) -> list[dict[str, Any]]:
    """The rows, in dataset order: id, score, credit, red flags and every signal value."""
    store = store_of(data)
    sc = data.settings.scoring
    credit = store.duplicates.credit
    signals = [
        s
        for s in measuring_signals()
        if s.name not in SCALE_SIGNALS and any(m.value is not None for m in store.measures[s.name])
    ]
    cw = sc.component_weights
    rows = []
    for j, idx in enumerate(store.analysed):
        values: dict[str, float | None] = {}
        reasons: list[str] = []
        flags: list[str] = []
        for s in signals:
            m = store.measures[s.name][j]
            values[s.name] = None if m.value is None else round(m.value, 6)
            if m.flag:
                flags.append(m.flag)
            if m.value is not None and m.value < 0.5 and m.reason:
                reasons.append(f"{s.name}: {m.reason}")
        quality = _weighted(values, sc.weights, lambda n: component_of(n) == "quality")
        families: dict[str, float] = {}
        for fam in sc.agentic_weights:
            v = _weighted(values, sc.weights, lambda n, f=fam: family_of(n) == f)
            if v is not None:
                families[fam] = v
        agentic = _weighted(families, sc.agentic_weights, lambda _n: True)
        parts = [(cw.get("quality", 0.0), quality), (cw.get("agentic", 0.0), agentic)]
        parts = [(w, v) for w, v in parts if v is not None and w > 0]
        base = sum(w * v for w, v in parts) / sum(w for w, _ in parts) if parts else 0.0
        c = float(credit[idx]) if idx < len(credit) else 1.0
        score = 0.0 if flags else base * c
        rows.append(
            {
                "id": store.ids[idx],
                "score": round(score, 6),
                "credit": round(c, 6),
                "red_flags": sorted(set(flags)),
                "quality": None if quality is None else round(quality, 6),
                "agentic": None if agentic is None else round(agentic, 6),
                "reasons": reasons[:8],
                **values,
            }
        )
    return rows


def _weighted(
    values: dict[str, float | None], weights: dict[str, float], keep: Any
) -> float | None:
    pairs = [(weights.get(k, 0.0), v) for k, v in values.items() if v is not None and keep(k)]
    pairs = [(w, v) for w, v in pairs if w > 0]
    total = sum(w for w, _ in pairs)
    return sum(w * v for w, v in pairs) / total if total else None


def write_conversation_scores(data: ScoringInput, path: Path) -> int:
    """Write the per-conversation scores as Parquet; returns the number of rows."""
    rows = conversation_rows(data)
    if rows:
        table = pa.Table.from_pylist(rows)
    else:
        table = pa.table({"id": pa.array([], pa.string()), "score": pa.array([], pa.float64())})
    pq.write_table(table, path, compression="zstd")
    return len(rows)
