"""Human-readable rendering of reports with rich (stderr stays free for progress)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from dfab.contracts.report import ScoreReport
from dfab.contracts.submission import SubmissionStatus


def is_positive(report: ScoreReport) -> bool:
    """Exit 0 only for a completed evaluation whose gates all passed."""
    return report.status == SubmissionStatus.COMPLETED and all(g.passed for g in report.gates)


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def render_report(report: ScoreReport, console: Console, report_path: str | None = None) -> None:
    colour = "green" if is_positive(report) else "red"
    console.rule(f"[bold]dfab report[/] {report.submission_id}")
    console.print(
        f"status [bold {colour}]{report.status}[/]   score [bold {colour}]{_fmt(report.score)}[/]"
        f"   scorer {report.scorer_version}   config {report.config_hash[:19]}…"
    )
    if report.reason is not None:
        console.print(f"[bold red]{report.reason.reason_class}[/]: {report.reason.message}")
    gen: dict[str, Any] | None = report.generation
    if gen:
        console.print(
            "generation: "
            + ", ".join(
                f"{k}={gen[k]}"
                for k in ("exit_reason", "exit_code", "duration_s", "output_bytes", "seed")
                if k in gen
            )
        )
    ds = report.dataset
    if ds:
        console.print(
            f"dataset: {ds.get('valid', 0)} valid of {ds.get('total_lines', 0)} lines"
            f" ({ds.get('requested', '?')} requested)"
            f" (valid fraction {_fmt(float(ds.get('valid_fraction', 0.0)))})"
        )
        for line in (ds.get("invalid_lines") or [])[:5]:
            first = (line.get("violations") or [{}])[0]
            console.print(
                f"  line {line.get('line_number')}: [yellow]{first.get('rule')}[/] at "
                f"{first.get('where')}: {first.get('message')}",
                highlight=False,
            )
    if report.verification:
        v = report.verification
        console.print(
            "verification: "
            + ", ".join(f"{k}={v[k]}" for k in ("passed", "failed", "timeout", "skipped") if k in v)
        )
    if report.signals:
        table = Table(title="signals", title_justify="left")
        for col in ("signal", "group", "weight", "value", "evidence"):
            table.add_column(col)
        for s in report.signals:
            evidence = ", ".join(f"{k}={v}" for k, v in list(s.evidence.items())[:3])
            table.add_row(s.name, s.group, _fmt(s.weight), _fmt(s.value), evidence[:80])
        console.print(table)
    if report.components:
        console.print(
            "components: " + ", ".join(f"{k}={_fmt(v)}" for k, v in report.components.items())
        )
    for gate in report.gates:
        mark = "[green]pass[/]" if gate.passed else "[red]FAIL[/]"
        console.print(
            f"gate {gate.name}: {mark} (value {gate.value:g}, threshold {gate.threshold:g})"
        )
    for note in report.notes:
        console.print(f"[dim]note: {note}[/]")
    if report_path:
        console.print(f"report written to {report_path}")
