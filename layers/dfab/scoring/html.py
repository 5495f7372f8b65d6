"""A self-contained HTML view of a score report, for miners.

One file, no scripts, no external assets: inline CSS and inline SVG charts (component
bars, one bar per signal, the distribution of per-conversation scores). Everything that
comes from the report is escaped: ids, reasons and evidence are miner-controlled text.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from dfab.contracts.report import ScoreReport, SignalResult
from dfab.scoring.registry import SCALE_SIGNALS, component_of, family_of

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2430;
background:#f6f7f9}
main{max-width:1080px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.card{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:16px 18px;margin:12px 0}
.score{font-size:40px;font-weight:700}.ok{color:#137333}.bad{color:#b3261e}
.muted{color:#5f6b7a}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:5px 8px;
border-bottom:1px solid #eef0f3;vertical-align:top}th{font-weight:600;color:#3c4655}
details{margin:4px 0}summary{cursor:pointer}
pre{white-space:pre-wrap;word-break:break-word;background:#f3f4f6;padding:8px;border-radius:6px;
max-height:360px;overflow:auto}
.tag{display:inline-block;padding:1px 7px;border-radius:10px;background:#eef0f3;font-size:12px;
margin-right:4px}.tag.flag{background:#fde7e4;color:#8c1d18}
"""
_FAMILY_COLOURS = {
    "format": "#8d99ae",
    "quality": "#2a9d8f",
    "integrity": "#e76f51",
    "tool_use": "#264653",
    "reasoning": "#6a4c93",
    "coding": "#1982c4",
    "verifiability": "#ffb703",
    "diversity": "#8ac926",
    "originality": "#ff595e",
}


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _bar_chart(rows: list[tuple[str, float, str, str]], label_width: int = 230) -> str:
    """Horizontal bars: (label, value in [0,1], colour, right-hand note)."""
    height = 22
    width = 760
    bar_w = width - label_width - 120
    out = [
        f'<svg role="img" viewBox="0 0 {width} {height * len(rows) + 6}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value, colour, note) in enumerate(rows):
        y = i * height + 3
        v = max(0.0, min(1.0, value))
        out.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" font-size="12" '
            f'fill="#1d2430">{_e(label)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{bar_w}" height="{height - 8}" '
            f'fill="#eef0f3" rx="3"/>'
            f'<rect x="{label_width}" y="{y + 3}" width="{bar_w * v:.1f}" height="{height - 8}" '
            f'fill="{colour}" rx="3"/>'
            f'<text x="{label_width + bar_w + 8}" y="{y + 15}" font-size="12" '
            f'fill="#3c4655">{v:.3f} {_e(note)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _histogram(counts: list[int], title: str) -> str:
    """Ten bins over [0, 1] as vertical bars with axis labels."""
    if not counts or not any(counts):
        return '<p class="muted">no per-conversation scores in this report</p>'
    width, height, pad = 520, 170, 28
    n = len(counts)
    top = max(counts)
    bw = (width - 2 * pad) / n
    out = [
        f'<svg role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, c in enumerate(counts):
        h = (height - 2 * pad) * c / top
        x = pad + i * bw
        y = height - pad - h
        out.append(
            f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{bw - 4:.1f}" height="{h:.1f}" '
            f'fill="#1982c4"><title>{i / n:.1f}-{(i + 1) / n:.1f}: {c}</title></rect>'
        )
        if c:
            out.append(
                f'<text x="{x + bw / 2:.1f}" y="{y - 3:.1f}" font-size="10" '
                f'text-anchor="middle">{c}</text>'
            )
    for i in range(0, n + 1, 2):
        out.append(
            f'<text x="{pad + i * bw:.1f}" y="{height - 8}" font-size="10" '
            f'text-anchor="middle" fill="#5f6b7a">{i / n:.1f}</text>'
        )
    out.append(
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#9aa4b2"/></svg>'
    )
    return "".join(out)


def _signal_rows(signals: list[SignalResult]) -> list[tuple[str, float, str, str]]:
    rows = []
    for s in signals:
        measured = s.evidence.get("measured", True) is not False
        note = "scale" if s.name in SCALE_SIGNALS else f"w {s.weight:g}"
        if not measured:
            note = "not measured"
        colour = _FAMILY_COLOURS.get(family_of(s.name), "#8d99ae") if measured else "#c9ced6"
        rows.append((s.name, s.value, colour, note))
    return rows


def _evidence(s: SignalResult) -> str:
    text = json.dumps(s.evidence, indent=1, ensure_ascii=False, sort_keys=True)
    return (
        f'<details><summary><b>{_e(s.name)}</b> <span class="muted">{s.value:.3f} - '
        f"{_e(component_of(s.name))}</span></summary><pre>{_e(text)}</pre></details>"
    )


def _worst_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return '<p class="muted">none listed</p>'
    out = ["<table><tr><th>conversation</th><th>score</th><th>credit</th><th>why</th></tr>"]
    for r in rows:
        flags = "".join(f'<span class="tag flag">{_e(f)}</span>' for f in r.get("red_flags", []))
        reasons = "<br>".join(_e(x) for x in r.get("reasons", []))
        out.append(
            f'<tr><td class="mono">{_e(r.get("id"))}</td><td>{r.get("score", 0):.3f}</td>'
            f"<td>{r.get('credit', 1):.2f}</td><td>{flags}{reasons}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


def render_html(report: ScoreReport) -> str:
    """The whole report as one HTML document (no external resources, no JavaScript)."""
    positive = all(g.passed for g in report.gates) and report.reason is None
    verdict = "ok" if positive else "bad"
    integrity = next((s for s in report.signals if s.name == "integrity.clean_share"), None)
    ev = integrity.evidence if integrity else {}
    comp_rows = [
        (k, v, "#264653" if k != "effective_share" else "#e76f51", "")
        for k, v in report.components.items()
    ]
    gates = "".join(
        f'<tr><td>{_e(g.name)}</td><td class="{"ok" if g.passed else "bad"}">'
        f"{'pass' if g.passed else 'FAIL'}</td><td>{g.value:g}</td><td>{g.threshold:g}</td>"
        f"<td>{_e(g.message or '')}</td></tr>"
        for g in report.gates
    )
    reason = (
        f'<p class="bad"><b>{_e(report.reason.reason_class)}</b>: {_e(report.reason.message)}</p>'
        if report.reason
        else ""
    )
    dataset = report.dataset or {}
    ds_line = (
        f"{_e(dataset.get('valid', '?'))} valid of {_e(dataset.get('total_lines', '?'))} lines "
        f"({_e(dataset.get('requested', '?'))} requested)"
        if dataset
        else ""
    )
    notes = "".join(f"<li>{_e(n)}</li>" for n in report.notes)
    evidence = "".join(_evidence(s) for s in report.signals)
    hotkey = f" · hotkey {_e(report.hotkey)}" if report.hotkey else ""
    worst = _worst_table(list(ev.get("worst_conversations") or []))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dfab report {_e(report.submission_id)}</title><style>{_CSS}</style></head>
<body><main>
<h1>dfab score report</h1>
<div class="muted mono">{_e(report.submission_id)} · scorer {_e(report.scorer_version)} ·
{_e(report.config_hash)}</div>
<div class="card"><span class="score {verdict}">{report.score:.3f}</span>
<span class="muted"> status {_e(report.status)}{hotkey}</span>{reason}
<div class="muted">{ds_line}</div></div>
<h2>Components</h2><div class="card">{_bar_chart(comp_rows, 160)}
<ul class="muted">{notes}</ul></div>
<h2>Gates</h2><div class="card"><table><tr><th>gate</th><th></th><th>value</th>
<th>threshold</th><th></th></tr>{gates}</table></div>
<h2>Signals</h2><div class="card">{_bar_chart(_signal_rows(report.signals))}</div>
<h2>Per-conversation scores</h2><div class="card">
{_histogram(list(ev.get("conversation_score_histogram") or []), "per-conversation scores")}
<p class="muted">mean {float(ev.get("conversation_score_mean", 0.0)):.3f} over
{_e(ev.get("conversations_read", "?"))} conversations read in full</p></div>
<h2>Worst conversations</h2><div class="card">{worst}</div>
<h2>Evidence</h2><div class="card">{evidence}</div>
</main></body></html>
"""
