"""`dfab compare A B`: how much of two harnesses is the same code, and where.

A is the reference (the earlier submission), B the harness checked against it. Both
are fingerprinted exactly as intake does, the published example code is removed, and
the pair is scored with the configured thresholds. Code common to many miners is only
known to the validators' index, so it is not discounted here (the report says so).
Exit codes: 0 clean or suspicious, 1 plagiarized, 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from dfab.cli.errors import EXIT_NEGATIVE, EXIT_OK, UsageError
from dfab.contracts.reasons import VerdictError
from dfab.originality.base import base_fingerprints
from dfab.originality.compare import score_pair
from dfab.originality.fingerprint import HarnessFingerprint, fingerprint_harness
from dfab.originality.models import PairScore
from dfab.originality.settings import OriginalitySettings
from dfab.review.unpack import archive_format, harness_dir
from dfab.settings import Settings, load_settings

_LEVEL_COLOURS = {"clean": "green", "suspicious": "yellow", "plagiarized": "bold red"}


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "compare",
        parents=[parent],
        help="compare two harnesses: similarity, containment, verdict, matched regions",
        description="A is the reference (earlier) harness, B the one checked; each is a "
        "directory or a .zip/.tar.gz archive. Exit 1 if B is a plagiarized copy of A.",
    )
    p.add_argument("a", type=Path, help="reference harness (directory or archive)")
    p.add_argument("b", type=Path, help="harness to check (directory or archive)")
    p.add_argument(
        "--include-example",
        action="store_true",
        help="also count code of the published example harness (normally excluded)",
    )
    p.set_defaults(handler=run)


def originality_settings(settings: Settings) -> OriginalitySettings:
    """The `originality:` section (defaults until the settings model carries it)."""
    section = getattr(settings, "originality", None)
    return section if isinstance(section, OriginalitySettings) else OriginalitySettings()


def _fingerprint(path: Path, tmp: Path, settings: Settings) -> HarnessFingerprint:
    return fingerprint_harness(harness_dir(path, tmp, settings.archive))


def comparison_doc(
    a: HarnessFingerprint, b: HarnessFingerprint, score: PairScore
) -> dict[str, Any]:
    return {
        "a": a.summary(),
        "b": b.summary(),
        "verdict": score.level,
        "similarity": score.similarity,
        "containment": score.containment,
        "containment_b_in_a": score.containment_query,
        "containment_a_in_b": score.containment_candidate,
        "shared_fingerprints": score.shared,
        "own_fingerprints": {"a": score.candidate_fingerprints, "b": score.query_fingerprints},
        "example_fingerprints_excluded": score.excluded_base,
        "common_code_excluded": False,
        "regions": [
            {"b": str(r.query), "a": str(r.candidate), "fingerprints": r.fingerprints}
            for r in score.regions
        ],
    }


def _render(doc: dict[str, Any], console: Console) -> None:
    colour = _LEVEL_COLOURS[doc["verdict"]]
    console.print(
        f"verdict [{colour}]{doc['verdict']}[/]   similarity {doc['similarity']:.2f}   "
        f"containment {doc['containment']:.2f} (B in A {doc['containment_b_in_a']:.2f}, "
        f"A in B {doc['containment_a_in_b']:.2f})"
    )
    own = doc["own_fingerprints"]
    console.print(
        f"shared {doc['shared_fingerprints']} of A's {own['a']} and B's {own['b']} own "
        f"fingerprints; {doc['example_fingerprints_excluded']} fingerprints of B are published "
        "example code and do not count (code common to many miners is only discounted by "
        "validators)"
    )
    if doc["regions"]:
        table = Table(show_header=True, header_style="bold")
        table.add_column("B (checked)")
        table.add_column("A (reference)")
        table.add_column("fingerprints", justify="right")
        for r in doc["regions"]:
            table.add_row(r["b"], r["a"], str(r["fingerprints"]))
        console.print(table)


def run(args: argparse.Namespace) -> int:
    for path in (args.a, args.b):
        if not path.exists():
            raise UsageError(f"{path} does not exist; give a harness directory or archive")
        if not path.is_dir() and archive_format(path) is None:
            raise UsageError(f"{path} is neither a directory nor a .zip/.tar.gz archive")
    settings = load_settings(args.config)
    options = originality_settings(settings)
    with tempfile.TemporaryDirectory(prefix="dfab-compare-") as tmp:
        try:
            a = _fingerprint(args.a, Path(tmp) / "a", settings)
            b = _fingerprint(args.b, Path(tmp) / "b", settings)
        except VerdictError as exc:
            raise UsageError(
                f"archive rejected ({exc.reason.reason_class}): {exc.reason.message}"
            ) from exc
    base = frozenset() if args.include_example else base_fingerprints()
    score = score_pair(b, a, options, base=base)
    doc = comparison_doc(a, b, score)
    if args.json:
        print(json.dumps(doc))
    else:
        _render(doc, Console())
    return EXIT_NEGATIVE if score.level == "plagiarized" else EXIT_OK
