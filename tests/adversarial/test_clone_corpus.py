"""The clone corpus: every disguised copy is caught, no independent harness is flagged.

Built here from test data: five original harnesses (tests/data/originality/originals)
and three independent harnesses for the same kind of dataset built on the example
scaffold, as a miner would (copy examples/harness, add and change generation logic;
overlays in tests/data/originality/scaffold), plus an unmodified copy of the example.
Each original is copied with every recipe of tests/data/originality/transforms.py
(renamed identifiers incl. `_` prefixes, reordered functions, dead code up to 2x, live
padding, new comments/docstrings/formatting, changed constants, sync->async, split and
merged functions, and all of them at once); the scaffold harnesses get the hardest
recipes (one each, to stay within the test time budget). Precision and recall are
printed. Copied datasets (exact, shuffled, partial,
lightly edited) come from real runs of the original harnesses.
"""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dfab.originality.compare import score_pair
from dfab.originality.dataset_index import DatasetIndex
from dfab.originality.fingerprint import HarnessFingerprint, fingerprint_harness
from dfab.originality.harness_index import HarnessIndex
from dfab.originality.judge import judge_harness
from dfab.originality.models import SubmissionRef
from dfab.originality.settings import OriginalitySettings

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "originality"
EXAMPLE = ROOT / "examples" / "harness"
SETTINGS = OriginalitySettings()
#: The (large) scaffold-based harnesses get one of the hardest recipes each (time budget).
SCAFFOLD_RECIPES = ("everything", "padded_live", "renamed")


def _transforms() -> ModuleType:
    spec = importlib.util.spec_from_file_location("clone_transforms", DATA / "transforms.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


T = _transforms()


def _ref(sid: str, hotkey: str, day: int) -> SubmissionRef:
    return SubmissionRef(
        submission_id=sid, hotkey=hotkey, created_at=f"2026-03-{day:02d}T00:00:00.000Z"
    )


@dataclass
class Corpus:
    independent: dict[str, HarnessFingerprint] = field(default_factory=dict)
    #: clone name -> (original name, fingerprint)
    copies: dict[str, tuple[str, HarnessFingerprint]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    work = tmp_path_factory.mktemp("corpus")
    out = Corpus()
    originals = sorted(p for p in (DATA / "originals").iterdir() if p.is_dir())
    scaffolds: list[Path] = []
    for overlay in sorted((DATA / "scaffold").iterdir()):
        dest = work / f"scaffold-{overlay.name}"
        shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(overlay, dest, dirs_exist_ok=True)
        scaffolds.append(dest)
    plain = work / "scaffold-unmodified"
    shutil.copytree(EXAMPLE, plain, ignore=shutil.ignore_patterns("__pycache__"))
    for path in [*originals, *scaffolds, plain]:
        out.independent[path.name] = fingerprint_harness(path)
    for path in originals:
        for recipe in T.RECIPES:
            clone = T.make_clone(path, work / f"{path.name}--{recipe}", recipe, seed=11)
            assert T.read_sources(clone) != T.read_sources(path)
            out.copies[clone.name] = (path.name, fingerprint_harness(clone))
    for path, recipe in zip(scaffolds, SCAFFOLD_RECIPES, strict=True):
        clone = T.make_clone(path, work / f"{path.name}--{recipe}", recipe, seed=12)
        out.copies[clone.name] = (path.name, fingerprint_harness(clone))
    return out


def _indexed(corpus: Corpus) -> tuple[HarnessIndex, dict[str, SubmissionRef]]:
    index = HarnessIndex.in_memory()
    refs: dict[str, SubmissionRef] = {}
    for day, (name, fp) in enumerate(sorted(corpus.independent.items()), start=1):
        refs[name] = _ref(name, f"miner-{name}", day)
        verdict = judge_harness(index, refs[name], fp, SETTINGS)
        assert verdict.verdict == "clean", verdict.message
        index.add(refs[name], fp)
    return index, refs


def test_every_copy_is_plagiarism_against_its_original(corpus: Corpus) -> None:
    index, refs = _indexed(corpus)
    missed = []
    for n, (name, (original, fp)) in enumerate(sorted(corpus.copies.items())):
        verdict = judge_harness(index, _ref(f"copy{n}", f"copier-{n}", 28), fp, SETTINGS)
        if verdict.verdict != "plagiarized" or verdict.against != refs[original]:
            missed.append((name, verdict.verdict, verdict.similarity, verdict.containment))
        else:
            assert verdict.score is not None and verdict.score.regions
    assert not missed, missed


def test_no_independent_pair_is_flagged(corpus: Corpus) -> None:
    flagged = []
    base = HarnessIndex.in_memory().base
    for a, b in combinations(sorted(corpus.independent), 2):
        score = score_pair(
            corpus.independent[a], corpus.independent[b], SETTINGS, base=base, regions=False
        )
        if score.level != "clean":
            flagged.append((a, b, score.similarity, score.containment))
    assert not flagged, flagged


def _pair_decisions(corpus: Corpus) -> Iterator[tuple[bool, bool, str]]:
    """(is a copy, flagged, label) for every clone x independent pair and independent pair."""
    base = HarnessIndex.in_memory().base
    for name, (original, fp) in sorted(corpus.copies.items()):
        for other, ofp in sorted(corpus.independent.items()):
            score = score_pair(fp, ofp, SETTINGS, base=base, regions=False)
            yield other == original, score.level != "clean", f"{name} ~ {other}"
    for a, b in combinations(sorted(corpus.independent), 2):
        score = score_pair(
            corpus.independent[a], corpus.independent[b], SETTINGS, base=base, regions=False
        )
        yield False, score.level != "clean", f"{a} ~ {b}"


def test_precision_and_recall(corpus: Corpus, capsys: pytest.CaptureFixture[str]) -> None:
    tp = fp = fn = tn = 0
    errors: list[str] = []
    for is_copy, flagged, label in _pair_decisions(corpus):
        if is_copy and flagged:
            tp += 1
        elif is_copy:
            fn += 1
            errors.append(f"missed {label}")
        elif flagged:
            fp += 1
            errors.append(f"false alarm {label}")
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    with capsys.disabled():
        print(
            f"\n[clone corpus] {len(corpus.independent)} independent harnesses, "
            f"{len(corpus.copies)} copies, {tp + fp + fn + tn} pairs: "
            f"precision {precision:.3f} recall {recall:.3f} (tp={tp} fp={fp} fn={fn} tn={tn})"
        )
    assert precision == 1.0 and recall == 1.0, errors


# ------------------------------------------------------------------ datasets


def _run_harness(name: str, out: Path, count: int, seed: int) -> list[dict[str, Any]]:
    root = DATA / "originals" / name
    subprocess.run(
        [
            sys.executable,
            "generate.py",
            "--output",
            str(out),
            "--count",
            str(count),
            "--seed",
            str(seed),
        ],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=120,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
    )
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _edit(conversation: dict[str, Any], rng: random.Random, rate: float) -> dict[str, Any]:
    """A light edit: about `rate` of the words of every text message replaced."""
    conv = json.loads(json.dumps(conversation))
    conv["id"] = f"edited-{conv['id']}"
    for msg in conv["messages"]:
        if isinstance(msg.get("content"), str):
            words = msg["content"].split(" ")
            for _ in range(max(1, int(len(words) * rate))):
                words[rng.randrange(len(words))] = rng.choice(("quickly", "now", "also", "maybe"))
            msg["content"] = " ".join(words)
    return conv


def test_copied_datasets_are_detected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = _run_harness("sqlfix", tmp_path / "a.jsonl", 150, seed=1)
    other = _run_harness("logdetective", tmp_path / "b.jsonl", 150, seed=2)
    third = _run_harness("refactorbot", tmp_path / "c.jsonl", 100, seed=3)
    own = _run_harness("shellmedic", tmp_path / "d.jsonl", 80, seed=4)
    index = DatasetIndex.in_memory(SETTINGS)
    assert index.check_and_add(_ref("orig", "alice", 1), original).duplicate_share == 0.0
    assert index.check_and_add(_ref("logs", "bob", 2), other).duplicate_share == 0.0
    assert index.check_and_add(_ref("refac", "carol", 3), third).duplicate_share == 0.0

    rng = random.Random(5)
    exact = [dict(c, id=f"copy-{i}") for i, c in enumerate(original)]
    shuffled = list(exact)
    rng.shuffle(shuffled)
    partial = original[:75] + own[:75]
    edited = [_edit(c, rng, 0.05) for c in original]
    results = {}
    for day, (label, data) in enumerate(
        [("exact", exact), ("shuffled", shuffled), ("partial", partial), ("edited", edited)],
        start=10,
    ):
        result = index.check(_ref(f"copy-{label}", "mallory", day), data)[0]
        results[label] = result
        assert set(result.sources) <= {"orig"}, result.sources
    with capsys.disabled():
        print(
            "\n[dataset copies] duplicate share: "
            + ", ".join(f"{k} {v.duplicate_share:.2f}" for k, v in results.items())
        )
    assert results["exact"].duplicate_share == 1.0 and results["exact"].exact_duplicates == 150
    assert results["shuffled"].duplicate_share == 1.0
    assert results["partial"].duplicate_share == pytest.approx(0.5, abs=0.02)
    assert results["edited"].duplicate_share >= 0.9
    assert results["edited"].near_duplicates >= 0.9 * 150
