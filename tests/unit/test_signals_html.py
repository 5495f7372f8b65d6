"""The HTML report: self-contained, escaped, with its charts."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_signals_support import scoring_input, varied_lines

from dfab.scoring.html import render_html
from dfab.scoring.standalone import score_input


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)


def test_report_is_self_contained_and_escaped() -> None:
    lines = varied_lines(4)
    lines[0]["id"] = '<script>alert("x")</script>'
    lines[0]["messages"][-1]["content"] = "Done. <img src=x onerror=alert(1)>"
    report = score_input(scoring_input(lines))
    page = render_html(report)
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert "&lt;script&gt;" in page
    assert not [v for k, v in parser.attrs if k in ("src", "href")]
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
    assert parser.tags.count("svg") >= 3  # components, signals, distribution
    for s in report.signals:
        assert s.name in page


def test_score_command_writes_html_and_conversation_scores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dfab.cli.main import main

    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(x) + "\n" for x in varied_lines(3)), encoding="utf-8")
    html, scores = tmp_path / "r.html", tmp_path / "c.parquet"
    code = main(
        [
            "score",
            str(data),
            "--count",
            "3",
            "--json",
            "--html",
            str(html),
            "--conversations",
            str(scores),
            "--probe",
            str(data),
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1  # 3 conversations are under min_conversations, and the probe is static
    assert {g["name"] for g in report["gates"] if not g["passed"]} >= {
        "min_conversations",
        "seed_dependence",
    }
    assert html.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert scores.stat().st_size > 0
