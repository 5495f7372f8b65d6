"""Originality building blocks: canonical form, winnowing, scoring, judging, datasets.

Small hand-written harnesses pin down each invariance of the canonical form; the
realistic clone corpus lives in tests/adversarial/test_clone_corpus.py.
"""

from __future__ import annotations

import json
import random
from argparse import Namespace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfab.cli import cmd_compare
from dfab.originality.base import SNAPSHOT, base_fingerprints, build_snapshot, decode_set
from dfab.originality.canonical import canonicalize
from dfab.originality.compare import level_of, score_pair
from dfab.originality.conversations import canonical_messages, sketch
from dfab.originality.dataset_index import DatasetIndex
from dfab.originality.fingerprint import HarnessFingerprint, fingerprint_harness
from dfab.originality.harness_index import HarnessIndex
from dfab.originality.judge import judge_harness
from dfab.originality.models import DatasetOriginality, OriginalityVerdict, SubmissionRef
from dfab.originality.params import KGRAM, WINDOW
from dfab.originality.settings import OriginalitySettings
from dfab.originality.value import originality_value
from dfab.originality.winnow import kgram_hashes, token_hash, winnow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "harness"
ORIGINALS = ROOT / "tests" / "data" / "originality" / "originals"
MANIFEST = (
    '[harness]\nname = "t"\nversion = "0.1.0"\nentrypoint = "generate.py"\n'
    'description = "t"\ndependencies = []\n'
)
S = OriginalitySettings()

BASE_CODE = '''
"""Word statistics harness."""
import json
import random
import sys
from collections import Counter

VOCAB = ["alpha", "beta", "gamma", "delta"]


def make_sentence(rng, length):
    """Build one sentence."""
    words = [rng.choice(VOCAB) for _ in range(length)]
    # capitalise the first word
    words[0] = words[0].title()
    return " ".join(words) + "."


def summarize(text):
    counts = Counter(text.lower().replace(".", "").split())
    top = counts.most_common(3)
    return ", ".join(f"{w}={n}" for w, n in top)


def conversation(rng, index):
    text = " ".join(make_sentence(rng, rng.randint(4, 9)) for _ in range(3))
    answer = summarize(text)
    return {"id": f"c{index}", "messages": [
        {"role": "user", "content": "Count the words: " + text},
        {"role": "assistant", "content": answer},
    ]}


def main(argv):
    rng = random.Random(int(argv[2]) if len(argv) > 2 else 0)
    with open(argv[1], "w") as fh:
        for i in range(10):
            fh.write(json.dumps(conversation(rng, i)) + "\\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
'''


def _write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "harness.toml").write_text(MANIFEST, encoding="utf-8")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _exact(tmp_path: Path, name: str, code: str, extra: dict[str, str] | None = None) -> str:
    return canonicalize(
        _write(tmp_path / name, {"generate.py": code, **(extra or {})})
    ).exact_hash()


# ------------------------------------------------------------------ canonical form

VARIANTS = {
    "renamed with underscores": BASE_CODE.replace("make_sentence", "_mk")
    .replace("summarize", "__digest")
    .replace("conversation(", "_one_row(")
    .replace("rng", "_r")
    .replace("words", "_toks")
    .replace("counts", "_c")
    .replace("VOCAB", "_WORDS"),
    "docstrings and comments": BASE_CODE.replace('"""Build one sentence."""', '"""Other doc."""')
    .replace("# capitalise the first word", "# a different comment\n    # and another")
    .replace('"""Word statistics harness."""', ""),
    "constants": BASE_CODE.replace("range(4, 9)", "range(2, 12)")
    .replace("most_common(3)", "most_common(5)")
    .replace('"Count the words: "', '"How often does each word occur? "'),
    "reordered": BASE_CODE.replace(
        "def summarize(text):", "def _placeholder():\n    pass\n\n\ndef summarize(text):"
    ),
    "dead code": BASE_CODE.replace(
        '    return ", ".join(f"{w}={n}" for w, n in top)',
        '    return ", ".join(f"{w}={n}" for w, n in top)\n    print(\'never\')\n    top = []',
    ).replace(
        "def main(argv):",
        "def unused_helper(x):\n    return [i * x for i in range(10)]\n\n\n"
        "def main(argv):\n    if False:\n        unused_helper(3)",
    ),
    "typing and annotations": BASE_CODE.replace(
        "def summarize(text):", "def summarize(text: str) -> str:"
    ).replace("def main(argv):", "def main(argv: list[str]) -> int:"),
    "aliased imports": BASE_CODE.replace("import random\n", "import random as rnd\n").replace(
        "random.Random", "rnd.Random"
    ),
    "import moved into a function": BASE_CODE.replace("import json\n", "", 1).replace(
        "def main(argv):\n", "def main(argv):\n    import json\n\n"
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_canonical_form_ignores_cosmetic_edits(tmp_path: Path, name: str) -> None:
    assert _exact(tmp_path, "a", BASE_CODE) == _exact(tmp_path, "b", VARIANTS[name])


def test_canonical_form_ignores_function_order(tmp_path: Path) -> None:
    funcs = BASE_CODE.split("\n\n\ndef ")
    head, defs = funcs[0], funcs[1:]
    main_block = defs[-1]
    shuffled = [defs[2], defs[0], defs[1]]
    code = head + "".join("\n\n\ndef " + d for d in [*shuffled, main_block])
    assert _exact(tmp_path, "a", BASE_CODE) == _exact(tmp_path, "b", code)


def test_canonical_form_unifies_async(tmp_path: Path) -> None:
    code = (
        BASE_CODE.replace("def summarize(text):", "async def summarize(text):")
        .replace("answer = summarize(text)", "answer = await summarize(text)")
        .replace("def conversation(rng, index):", "async def conversation(rng, index):")
        .replace("def main(argv):", "async def main(argv):")
        .replace("fh.write(json.dumps(conversation(", "fh.write(json.dumps(await conversation(")
        .replace("sys.exit(main(sys.argv))", "sys.exit(asyncio.run(main(sys.argv)))")
        .replace("import json\n", "import asyncio\nimport json\n")
    )
    assert _exact(tmp_path, "a", BASE_CODE) == _exact(tmp_path, "b", code)


def test_augmented_assignment_reads_as_assignment(tmp_path: Path) -> None:
    a = "def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n"
    b = a.replace("total += i", "total = total + i")
    code = "{}\n\nf(3)\n"
    assert _exact(tmp_path, "a", code.format(a)) == _exact(tmp_path, "b", code.format(b))


def test_canonical_form_sees_real_changes(tmp_path: Path) -> None:
    changed = BASE_CODE.replace("counts.most_common(3)", "sorted(counts.items())[:3]")
    assert _exact(tmp_path, "a", BASE_CODE) != _exact(tmp_path, "b", changed)


def test_unreachable_definitions_are_dropped(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "h",
        {
            "generate.py": "from pkg.used import go\n\ngo()\n",
            "pkg/__init__.py": "",
            "pkg/used.py": "def go():\n    return helper()\n\n\ndef helper():\n    return 1\n\n\n"
            "def dead():\n    return 2\n",
            "pkg/never.py": "def orphan():\n    return 3\n",
        },
    )
    canon = canonicalize(root)
    names = {u.name for u in canon.units}
    assert {"pkg.used.go", "pkg.used.helper"} <= names
    assert "pkg.used.dead" not in names and "pkg.never.orphan" not in names
    assert canon.total_units > len(canon.units)


def test_dynamic_import_keeps_everything(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "h",
        {
            "generate.py": "import importlib, sys\nimportlib.import_module(sys.argv[1]).run()\n",
            "plugin.py": "def run():\n    return 1\n",
        },
    )
    assert "plugin.run" in {u.name for u in canonicalize(root).units}


def test_scripts_run_by_file_name_and_hidden_python_count(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "h",
        {
            "generate.py": "import subprocess, sys\n"
            "subprocess.run([sys.executable, 'tools/worker.py'])\n"
            "subprocess.run([sys.executable, 'payload.txt'])\n",
            "tools/worker.py": "def work():\n    return 1\n\n\n"
            "if __name__ == '__main__':\n    work()\n",
            "payload.txt": "import json\n\n\ndef hidden():\n"
            "    return json.dumps([1])\n\n\nhidden()\n",
        },
    )
    names = {u.name for u in canonicalize(root).units}
    assert "worker.work" in names or "tools.worker.work" in names
    assert any("hidden" in n for n in names)


def test_module_moved_to_a_subdirectory_still_resolves(tmp_path: Path) -> None:
    flat = _write(
        tmp_path / "a",
        {"generate.py": "from helpers import f\nf()\n", "helpers.py": "def f():\n    return 1\n"},
    )
    nested = _write(
        tmp_path / "b",
        {
            "generate.py": "import sys\nsys.path.insert(0, 'lib')\nfrom helpers import f\nf()\n",
            "lib/helpers.py": "def f():\n    return 1\n",
        },
    )
    flat_units = {u.name: u.text for u in canonicalize(flat).units}
    nested_units = {u.name: u.text for u in canonicalize(nested).units}
    assert flat_units["helpers.f"] == nested_units["lib.helpers.f"]


# ------------------------------------------------------------------ winnowing


@settings(max_examples=60, deadline=None)
@given(
    prefix=st.lists(st.integers(0, 50), max_size=60),
    shared=st.lists(st.integers(0, 50), min_size=KGRAM + WINDOW - 1, max_size=90),
    suffix=st.lists(st.integers(0, 50), max_size=60),
    other=st.lists(st.integers(0, 50), max_size=60),
)
def test_winnowing_guarantee(
    prefix: list[int], shared: list[int], suffix: list[int], other: list[int]
) -> None:
    """Any shared run of KGRAM + WINDOW - 1 tokens yields a shared fingerprint."""

    def fps(tokens: list[int]) -> set[int]:
        values = [token_hash(str(t)) for t in tokens]
        return {h for h, _ in winnow(kgram_hashes(values, KGRAM), WINDOW)}

    assert fps(prefix + shared + suffix) & fps(other + shared)


def test_winnow_selects_in_order_and_is_deterministic() -> None:
    rng = random.Random(3)
    hashes = [rng.getrandbits(64) for _ in range(500)]
    picked = winnow(hashes, WINDOW)
    positions = [p for _, p in picked]
    assert positions == sorted(set(positions))
    assert picked == winnow(hashes, WINDOW)
    assert len(picked) < len(hashes) * 3 / (WINDOW + 1)
    short = [5, 1, 1]
    assert winnow(short, WINDOW) == [(1, 2)]  # fewer k-grams than a window: rightmost minimum
    assert winnow([], WINDOW) == []


def test_fingerprint_record_round_trip() -> None:
    fp = fingerprint_harness(ORIGINALS / "sqlfix")
    again = HarnessFingerprint.from_bytes(fp.to_bytes())
    assert again == fp and again.distinct == fp.distinct
    assert len(fp.to_bytes()) < 8 * len(fp.hashes) + 2000


def test_base_snapshot_matches_the_example_harness() -> None:
    doc = build_snapshot({"examples/harness": EXAMPLE})
    stored = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert stored["sources"] == doc["sources"], (
        "examples/harness changed: run `python -m dfab.originality.base --write`"
    )
    assert decode_set(str(doc["fingerprints"])) == base_fingerprints()


# ------------------------------------------------------------------ scoring


def test_levels_follow_thresholds() -> None:
    assert level_of(0.9, 0.9, 0.9, 100, 100, 100, S) == "plagiarized"
    assert level_of(0.2, 0.3, 0.9, 100, 400, 100, S) == "plagiarized"  # copy and extend
    assert level_of(0.4, 0.5, 0.5, 100, 200, 200, S) == "suspicious"
    assert level_of(0.1, 0.2, 0.2, 100, 500, 500, S) == "clean"
    assert level_of(0.9, 0.9, 0.9, 10, 100, 100, S) == "clean"  # too few shared
    assert level_of(0.2, 0.2, 1.0, 40, 200, 20, S) == "clean"  # contained harness too small
    with pytest.raises(ValueError):
        OriginalitySettings(similarity_suspicious=0.9, similarity_plagiarized=0.5)


def test_score_pair_is_symmetric_in_similarity_and_reports_regions() -> None:
    a = fingerprint_harness(ORIGINALS / "sqlfix")
    b = fingerprint_harness(ORIGINALS / "logdetective")
    self_score = score_pair(a, a, S)
    assert self_score.similarity == 1.0 and self_score.level == "plagiarized"
    assert self_score.regions and self_score.regions[0].query.path.endswith(".py")
    other = score_pair(a, b, S)
    assert other.level == "clean" and other.similarity == score_pair(b, a, S).similarity


def test_example_harness_is_all_base_code() -> None:
    fp = fingerprint_harness(EXAMPLE)
    assert not fp.distinct - base_fingerprints()
    score = score_pair(fp, fp, S, base=base_fingerprints())
    assert score.level == "clean" and score.excluded_base == len(fp.distinct)


# ------------------------------------------------------------------ judging


def _ref(sid: str, hotkey: str, day: int) -> SubmissionRef:
    return SubmissionRef(
        submission_id=sid, hotkey=hotkey, created_at=f"2026-01-{day:02d}T00:00:00.000Z"
    )


@pytest.fixture(scope="module")
def fps() -> dict[str, HarnessFingerprint]:
    return {p.name: fingerprint_harness(p) for p in sorted(ORIGINALS.iterdir())}


def test_copy_is_plagiarism_against_the_earliest_other_miner(
    fps: dict[str, HarnessFingerprint],
) -> None:
    index = HarnessIndex.in_memory()
    index.add(_ref("first", "alice", 1), fps["sqlfix"])
    index.add(_ref("second", "bob", 2), fps["sqlfix"])
    verdict = judge_harness(index, _ref("third", "carol", 3), fps["sqlfix"], S)
    assert verdict.verdict == "plagiarized" and verdict.exact_match
    assert verdict.against is not None and verdict.against.submission_id == "first"
    assert "first" in verdict.message and "alice" in verdict.message


def test_own_resubmission_is_never_plagiarism(fps: dict[str, HarnessFingerprint]) -> None:
    index = HarnessIndex.in_memory()
    index.add(_ref("v1", "alice", 1), fps["sqlfix"])
    assert judge_harness(index, _ref("v2", "alice", 5), fps["sqlfix"], S).verdict == "clean"


def test_first_seen_wins_over_a_later_copier(fps: dict[str, HarnessFingerprint]) -> None:
    """Alice v1, then Bob copies it (indexed, e.g. before detection), then Alice v2."""
    index = HarnessIndex.in_memory()
    index.add(_ref("a1", "alice", 1), fps["testsmith"])
    index.add(_ref("b1", "bob", 2), fps["testsmith"])
    assert judge_harness(index, _ref("a2", "alice", 3), fps["testsmith"], S).verdict == "clean"


def test_later_submissions_do_not_count(fps: dict[str, HarnessFingerprint]) -> None:
    index = HarnessIndex.in_memory()
    index.add(_ref("late", "bob", 9), fps["refactorbot"])
    assert judge_harness(index, _ref("early", "alice", 2), fps["refactorbot"], S).verdict == "clean"


def test_independent_harnesses_are_clean(fps: dict[str, HarnessFingerprint]) -> None:
    index = HarnessIndex.in_memory()
    for day, (name, fp) in enumerate(sorted(fps.items()), start=1):
        verdict = judge_harness(index, _ref(name, name, day), fp, S)
        assert verdict.verdict == "clean", verdict.message
        index.add(_ref(name, name, day), fp)


def test_code_common_to_many_miners_does_not_count(fps: dict[str, HarnessFingerprint]) -> None:
    """The same code from many miners is common code: the next one is not a copier."""
    index = HarnessIndex.in_memory()
    fp = fps["shellmedic"]
    for day in range(1, S.common_min_hotkeys + 1):
        index.add(_ref(f"s{day}", f"miner{day}", day), fp)
    verdict = judge_harness(index, _ref("late", "newcomer", 20), fp, S)
    assert verdict.verdict == "clean"
    assert all(m.score.excluded_common > 0 for m in verdict.matches)


def test_tiny_harness_has_nothing_to_judge(tmp_path: Path) -> None:
    root = _write(tmp_path / "h", {"generate.py": "print(1)\n"})
    verdict = judge_harness(
        HarnessIndex.in_memory(), _ref("x", "y", 1), fingerprint_harness(root), S
    )
    assert verdict.verdict == "clean" and "too little" in verdict.message


def test_verdict_is_stored(fps: dict[str, HarnessFingerprint]) -> None:
    index = HarnessIndex.in_memory()
    verdict = judge_harness(index, _ref("a", "alice", 1), fps["sqlfix"], S)
    index.save_verdict(verdict)
    assert index.verdict("a") == verdict
    assert index.verdict("missing") is None


# ------------------------------------------------------------------ datasets


def _conversations(seed: int, n: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(500)] + ["the", "a", "fix", "bug", "test", "error", "value"]
    out = []
    for i in range(n):
        user = " ".join(rng.choice(vocab) for _ in range(40))
        answer = " ".join(rng.choice(vocab) for _ in range(120))
        out.append(
            {
                "schema_version": 1,
                "id": f"s{seed}-{i}",
                "messages": [
                    {"role": "user", "content": user},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {
                                    "name": "run",
                                    "arguments": json.dumps({"cmd": user[:20]}),
                                },
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
                    {"role": "assistant", "content": answer},
                ],
            }
        )
    return out


def test_conversation_canonical_form_ignores_ids_and_formatting() -> None:
    [conv] = _conversations(1, 1)
    other = json.loads(json.dumps(conv))
    other["id"] = "renamed"
    other["messages"][1]["tool_calls"][0]["id"] = "zz9"
    other["messages"][2]["tool_call_id"] = "zz9"
    other["messages"][3]["content"] = "  " + str(conv["messages"][3]["content"]).upper() + "\n"  # type: ignore[index]
    other["messages"][1]["tool_calls"][0]["function"]["arguments"] = json.loads(
        conv["messages"][1]["tool_calls"][0]["function"]["arguments"]  # type: ignore[index]
    )
    assert canonical_messages(conv) == canonical_messages(other)
    assert sketch(0, conv).digest == sketch(5, other).digest


def test_dataset_copies_are_detected_first_seen_wins() -> None:
    index = DatasetIndex.in_memory(S)
    original = _conversations(1, 120)
    assert index.check_and_add(_ref("orig", "alice", 1), original).duplicate_share == 0.0
    assert index.check_and_add(_ref("indep", "bob", 2), _conversations(2, 120)).duplicate_share == 0
    shuffled = [dict(c, id=f"x{i}") for i, c in enumerate(original)]
    random.Random(4).shuffle(shuffled)
    result = index.check(_ref("copy", "carol", 3), shuffled)[0]
    assert result.duplicate_share == 1.0 and result.exact_duplicates == 120
    assert result.sources == {"orig": 120}
    own = index.check(_ref("orig2", "alice", 4), original)[0]
    assert own.duplicate_share == 0.0
    # A copier who was indexed first does not own the conversations: alice was earlier.
    index.check_and_add(_ref("copy", "carol", 3), shuffled)
    again = index.check(_ref("alice3", "alice", 6), original)[0]
    assert again.duplicate_share == 0.0
    stored = index.result("orig")
    assert isinstance(stored, DatasetOriginality) and stored.checked == 120


def test_dataset_sample_cap() -> None:
    small = OriginalitySettings(max_dataset_conversations=50)
    index = DatasetIndex.in_memory(small)
    data = _conversations(7, 120)
    index.check_and_add(_ref("a", "alice", 1), data)
    result = index.check(_ref("b", "bob", 2), list(reversed(data)))[0]
    assert result.checked == 50 and result.conversations == 120 and result.duplicate_share == 1.0


# ------------------------------------------------------------------ value


def test_originality_value() -> None:
    clean = OriginalityVerdict(submission_id="a", hotkey="h", verdict="clean", message="m")
    sus = clean.model_copy(update={"verdict": "suspicious", "similarity": 0.45, "containment": 0.5})
    plag = clean.model_copy(update={"verdict": "plagiarized"})
    data = DatasetOriginality(
        submission_id="a",
        hotkey="h",
        conversations=10,
        checked=10,
        exact_duplicates=2,
        near_duplicates=1,
        duplicate_share=0.3,
    )
    assert originality_value(clean, None, S).value == 1.0
    assert originality_value(None, None, S).evidence == {
        "harness": "not checked",
        "dataset": "not checked",
    }
    assert originality_value(clean, data, S).value == 0.7
    value = originality_value(sus, data, S)
    assert 0.5 <= value.harness_factor < 1.0 and value.value == round(value.harness_factor * 0.7, 4)
    assert originality_value(plag, data, S).value == 0.0


# ------------------------------------------------------------------ CLI


def test_compare_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = ORIGINALS / "sqlfix"
    args = Namespace(a=a, b=a, config=None, json=True, include_example=False)
    assert cmd_compare.run(args) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "plagiarized" and doc["similarity"] == 1.0 and doc["regions"]
    assert doc["regions"][0]["a"].startswith("sqlfix/")
    args = Namespace(a=a, b=ORIGINALS / "testsmith", config=None, json=False, include_example=False)
    assert cmd_compare.run(args) == 0
    assert "clean" in capsys.readouterr().out
    args = Namespace(a=EXAMPLE, b=EXAMPLE, config=None, json=True, include_example=True)
    assert cmd_compare.run(args) == 1
    capsys.readouterr()


def test_compare_through_main(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import dfab.cli.main as cli

    assert "compare" in cli.COMMANDS
    assert cli.main(["compare", str(tmp_path / "nope"), str(EXAMPLE)]) == 2
    assert cli.main(["compare", "--json", str(EXAMPLE), str(EXAMPLE)]) == 0
