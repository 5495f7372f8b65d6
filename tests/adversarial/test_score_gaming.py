"""Anti-gaming suite: every way to game the scorer earns at most half the honest score.

The honest baseline is the example harness's own dataset (120 conversations, seed 1,
generated once per session; seed 2 gives the probe). Each attack below is built from
that dataset the way a miner would build it, scored by the same code `dfab score`
runs, and must land at or below half of the baseline. Determinism: the same input
scores the same in two processes.
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dfab.contracts.report import ScoreReport
from dfab.scoring.signal import OriginalityInput
from dfab.scoring.standalone import score_jsonl
from dfab.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "examples" / "harness"
COUNT = 120
PROBE_COUNT = 20

Line = dict[str, Any]

pytestmark = pytest.mark.slow


# --------------------------------------------------------------------------- baseline


def _python() -> str:
    sandbox = ROOT / ".venv-sandbox" / "bin" / "python"
    return str(sandbox) if sandbox.exists() else sys.executable


def _generate(tmp: Path, seed: int, count: int) -> Path:
    work = tmp / f"harness-{seed}"
    shutil.copytree(HARNESS, work, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp / f"dataset-{seed}.jsonl"
    proc = subprocess.run(
        [
            _python(),
            "generate.py",
            "--output",
            str(out),
            "--count",
            str(count),
            "--seed",
            str(seed),
            "--work-dir",
            str(work / "scratch"),
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={
            **os.environ,
            "DF_OUTPUT_PATH": str(out),
            "DF_NUM_CONVERSATIONS": str(count),
            "DF_SEED": str(seed),
            "DF_WORK_DIR": str(work / "scratch"),
        },
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


@pytest.fixture(scope="session")
def honest_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(dataset seed 1, probe seed 2) of the example harness, generated in parallel."""
    tmp = tmp_path_factory.mktemp("honest")
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        main = pool.submit(_generate, tmp, 1, COUNT)
        probe = pool.submit(_generate, tmp, 2, PROBE_COUNT)
        return main.result(), probe.result()


@pytest.fixture(scope="session")
def honest(honest_files: tuple[Path, Path]) -> list[Line]:
    return _read(honest_files[0])


def _read(path: Path) -> list[Line]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, lines: list[Line]) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def score(
    tmp: Path,
    lines: list[Line],
    *,
    probe: list[Line] | Path | None = None,
    originality: OriginalityInput | None = None,
    plagiarized: bool | None = None,
    name: str = "d",
) -> ScoreReport:
    data = _write(tmp / f"{name}.jsonl", lines)
    probe_path = None
    if isinstance(probe, Path):
        probe_path = probe
    elif probe is not None:
        probe_path = _write(tmp / f"{name}-probe.jsonl", probe)
    return score_jsonl(
        data,
        Settings(),
        COUNT,
        probe=probe_path,
        originality=originality,
        plagiarized=plagiarized,
    )


@pytest.fixture(scope="session")
def baseline(honest_files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> float:
    tmp = tmp_path_factory.mktemp("baseline")
    report = score(tmp, _read(honest_files[0]), probe=honest_files[1])
    assert all(g.passed for g in report.gates), report.gates
    assert report.score >= 0.75, report.model_dump_json(indent=1)[:4000]
    return report.score


# --------------------------------------------------------------------------- attacks

_PY_KEYWORDS_TEXT = (
    "False None True and as assert async await break class continue def del elif else "
    "except finally for from global if import in is lambda nonlocal not or pass raise "
    "return try while with yield self cls print len range list dict set str int float bool "
    "pytest"
)
_PY_KEYWORDS = frozenset(_PY_KEYWORDS_TEXT.split())
_SYLLABLES = [a + b for a in "bcdfghjklmnprstvwz" for b in "aeiou"]


def vocabulary(size: int = 20_000, seed: int = 7) -> list[str]:
    """A large made-up vocabulary (2-4 syllables)."""
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    return value


def _renamed(line: Line, fn: Callable[[str], str]) -> Line:
    """Apply `fn` to every text a miner controls, keeping tool names and JSON keys."""
    out = copy.deepcopy(line)
    for m in out["messages"]:
        for key in ("content", "reasoning_content"):
            if isinstance(m.get(key), str):
                m[key] = fn(m[key])
        for call in m.get("tool_calls") or []:
            args = json.loads(call["function"]["arguments"])
            call["function"]["arguments"] = json.dumps(_map_strings(args, fn))
    if out.get("verification"):
        ver = out["verification"]
        ver["files"] = {p: fn(c) for p, c in ver["files"].items()}
    if out.get("task", {}).get("summary"):
        out["task"]["summary"] = fn(out["task"]["summary"])
    return out


def attack_repeated(honest: list[Line]) -> list[Line]:
    """One good conversation, repeated with fresh ids."""
    return [{**copy.deepcopy(honest[0]), "id": f"rep-{i:05d}"} for i in range(COUNT)]


def attack_template_swaps(honest: list[Line]) -> list[Line]:
    """One template; each copy swaps every content word for a random one (consistently)."""
    vocab = vocabulary()
    rng = random.Random(11)
    template = honest[0]
    out = []
    for i in range(COUNT):
        mapping: dict[str, str] = {}

        def swap(text: str, mapping: dict[str, str] = mapping) -> str:
            def one(m: re.Match[str]) -> str:
                word = m.group(0)
                if word in _PY_KEYWORDS or len(word) < 3:
                    return word
                if word not in mapping:
                    mapping[word] = rng.choice(vocab)
                return mapping[word]

            return re.sub(r"\b[A-Za-z][a-z]+\b", one, text)

        line = _renamed(template, swap)
        line["id"] = f"tpl-{i:05d}"
        out.append(line)
    return out


def attack_nonsense(honest: list[Line]) -> list[Line]:
    """Contract-valid lines with schema-valid calls, made of random words."""
    vocab = vocabulary()
    rng = random.Random(3)

    def words(n: int) -> str:
        return " ".join(rng.choice(vocab) for _ in range(n)).capitalize() + "."

    def value_for(spec: dict[str, Any]) -> Any:
        kind = spec.get("type")
        if kind == "integer":
            return max(1, int(spec.get("minimum", 1)))
        if kind == "array":
            return [words(2)]
        if kind == "boolean":
            return True
        return words(3)

    out = []
    for i in range(COUNT):
        base = honest[i % len(honest)]
        tools = base["tools"]
        messages: list[Line] = [{"role": "user", "content": words(rng.randint(15, 40))}]
        for k in range(rng.randint(3, 6)):
            tool = rng.choice(tools)["function"]
            props = tool["parameters"].get("properties", {})
            required = tool["parameters"].get("required", [])
            args = {p: value_for(props[p]) for p in props if p in required or rng.random() < 0.5}
            cid = f"call_{i}_{k}"
            messages.append(
                {
                    "role": "assistant",
                    "reasoning_content": words(rng.randint(10, 30)),
                    "content": None,
                    "tool_calls": [
                        {
                            "id": cid,
                            "type": "function",
                            "function": {"name": tool["name"], "arguments": json.dumps(args)},
                        }
                    ],
                }
            )
            messages.append(
                {"role": "tool", "tool_call_id": cid, "content": words(rng.randint(20, 80))}
            )
        messages.append(
            {
                "role": "assistant",
                "reasoning_content": words(15),
                "content": words(rng.randint(40, 90)),
            }
        )
        out.append(
            {
                "schema_version": 1,
                "id": f"nonsense-{i:05d}",
                "task": base.get("task"),
                "tools": tools,
                "messages": messages,
            }
        )
    return out


def attack_undeclared_tools(honest: list[Line]) -> list[Line]:
    """Calls to tools the line does not declare (the contract makes such lines invalid)."""
    out = []
    for line in honest:
        line = copy.deepcopy(line)
        for m in line["messages"]:
            for call in m.get("tool_calls") or []:
                call["function"]["name"] = "super_" + call["function"]["name"]
            if m["role"] == "tool" and m.get("name"):
                m["name"] = "super_" + m["name"]
        out.append(line)
    return out


def attack_invalid_args(honest: list[Line]) -> list[Line]:
    """Calls whose arguments break the declared schema, answered as if they were fine."""
    out = []
    for line in honest:
        line = copy.deepcopy(line)
        for m in line["messages"]:
            for call in m.get("tool_calls") or []:
                args = json.loads(call["function"]["arguments"])
                broken = {k: 12345 for k in args} or {"unexpected": 1}
                broken["undeclared_flag"] = True
                call["function"]["arguments"] = json.dumps(broken)
        out.append(line)
    return out


def attack_fake_results(honest: list[Line]) -> list[Line]:
    """Every tool result replaced by the same canned text."""
    canned = "Operation completed successfully. The requested action finished without errors."
    out = []
    for line in honest:
        line = copy.deepcopy(line)
        for m in line["messages"]:
            if m["role"] == "tool":
                m["content"] = canned
        out.append(line)
    return out


FILLER = [
    "Let me think about this very carefully and consider every possible angle.",
    "It is important to be thorough and methodical in this kind of situation.",
    "I want to make absolutely sure that I fully understand the overall problem.",
    "There are many different considerations that could potentially be relevant here.",
    "Careful analysis is always the foundation of any high quality solution.",
    "I should take a step back and reflect on the bigger picture for a moment.",
    "Thinking step by step usually leads to much better and more reliable outcomes.",
    "Good engineering practice requires patience, attention and careful reasoning.",
    "I will keep all of these general principles in mind as I continue working.",
    "Every detail matters, so it is worth spending extra time thinking it through.",
]


def attack_padded_reasoning(honest: list[Line]) -> list[Line]:
    """Every reasoning block padded with hundreds of words of filler."""
    rng = random.Random(5)
    out = []
    for line in honest:
        line = copy.deepcopy(line)
        for m in line["messages"]:
            if m["role"] == "assistant" and m.get("reasoning_content"):
                pad = " ".join(rng.choice(FILLER) for _ in range(rng.randint(30, 60)))
                m["reasoning_content"] = pad + "\n\n" + m["reasoning_content"]
        out.append(line)
    return out


def attack_huge_answers(honest: list[Line]) -> list[Line]:
    """Final answers inflated with tens of kilobytes of extra material."""
    vocab = vocabulary()
    rng = random.Random(9)
    out = []
    for line in honest:
        line = copy.deepcopy(line)
        extra = "\n\n".join(
            " ".join(rng.choice(vocab) for _ in range(60)) + "." for _ in range(100)
        )
        line["messages"][-1]["content"] += "\n\n## Additional notes\n\n" + extra
        out.append(line)
    return out


def _replace_tests(honest: list[Line], source: str) -> list[Line]:
    out = []
    for line in honest:
        line = copy.deepcopy(line)
        ver = line.get("verification")
        if ver:
            sol = set(ver["solution_files"])
            tests = [
                p
                for p in ver["files"]
                if p not in sol and p.endswith(".py") and "test" in p.rsplit("/", 1)[-1]
            ]
            if not tests:
                tests = ["test_extra.py"]
            for p in tests:
                ver["files"][p] = source
        out.append(line)
    return out


def attack_trivial_tests(honest: list[Line]) -> list[Line]:
    """Verification blocks whose tests are `assert True`."""
    return _replace_tests(honest, "def test_ok():\n    assert True\n")


def attack_unrelated_tests(honest: list[Line]) -> list[Line]:
    """Verification blocks whose tests check something else entirely."""
    return _replace_tests(
        honest,
        "import math\n\n\ndef test_sqrt():\n    assert math.sqrt(16) == 4\n\n\n"
        "def test_join():\n    assert ','.join(['a', 'b']) == 'a,b'\n",
    )


# --------------------------------------------------------------------------- tests

ATTACKS: dict[str, Callable[[list[Line]], list[Line]]] = {
    "repeated_conversation": attack_repeated,
    "template_word_swaps": attack_template_swaps,
    "schema_valid_nonsense": attack_nonsense,
    "schema_invalid_args": attack_invalid_args,
    "identical_fake_results": attack_fake_results,
    "padded_reasoning": attack_padded_reasoning,
    "huge_final_answers": attack_huge_answers,
    "trivial_tests": attack_trivial_tests,
    "unrelated_tests": attack_unrelated_tests,
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_scores_at_most_half(
    attack: str,
    honest: list[Line],
    honest_files: tuple[Path, Path],
    baseline: float,
    tmp_path: Path,
) -> None:
    report = score(tmp_path, ATTACKS[attack](honest), probe=honest_files[1])
    assert report.score <= baseline / 2, (attack, report.score, baseline, report.notes)


def test_undeclared_tools_make_lines_invalid_and_gate(
    honest: list[Line], baseline: float, tmp_path: Path
) -> None:
    report = score(tmp_path, attack_undeclared_tools(honest))
    assert report.dataset is not None and report.dataset["valid"] == 0
    assert "tool_calls.undeclared_tool" in report.dataset["rule_counts"]
    assert report.score == 0.0 <= baseline / 2
    assert any(g.name == "valid_fraction" and not g.passed for g in report.gates)


def test_a_few_undeclared_calls_gain_nothing(
    honest: list[Line], baseline: float, honest_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """Invalid lines are dropped, never scored: mixing some in cannot raise the score."""
    mixed = honest[:110] + attack_undeclared_tools(honest[110:])
    report = score(tmp_path, mixed, probe=honest_files[1])
    assert report.score <= baseline


def test_static_dataset_ignoring_the_seed(
    honest: list[Line], baseline: float, tmp_path: Path
) -> None:
    """The probe (another seed) returns the same conversations: seed_dependence fails."""
    static_probe = [{**line} for line in honest[:PROBE_COUNT]]
    report = score(tmp_path, honest, probe=static_probe)
    assert report.score <= baseline / 2
    gate = next(g for g in report.gates if g.name == "seed_dependence")
    assert not gate.passed


def test_static_dataset_with_reshuffled_ids_and_order(
    honest: list[Line], baseline: float, tmp_path: Path
) -> None:
    rng = random.Random(2)
    probe = [{**line, "id": f"other-{k}"} for k, line in enumerate(rng.sample(honest, PROBE_COUNT))]
    report = score(tmp_path, honest, probe=probe)
    assert report.score <= baseline / 2


def test_copy_of_another_miners_dataset(
    honest: list[Line], honest_files: tuple[Path, Path], baseline: float, tmp_path: Path
) -> None:
    plagiarized = score(tmp_path, honest, probe=honest_files[1], plagiarized=True, name="p")
    assert plagiarized.score == 0.0 <= baseline / 2
    assert plagiarized.reason is not None and plagiarized.reason.reason_class == "PLAGIARISM"
    copied = score(
        tmp_path,
        honest,
        probe=honest_files[1],
        name="c",
        originality=OriginalityInput(0.0, {"matched_submission": "other"}),
        plagiarized=False,
    )
    assert copied.components["originality"] == 0.0
    assert copied.score <= baseline / 2


def test_honest_probe_passes_the_seed_gate(
    honest: list[Line], honest_files: tuple[Path, Path], tmp_path: Path
) -> None:
    report = score(tmp_path, honest, probe=honest_files[1])
    gate = next(g for g in report.gates if g.name == "seed_dependence")
    assert gate.passed and gate.value >= 0.9


def test_same_input_scores_the_same_in_two_processes(
    honest_files: tuple[Path, Path], tmp_path: Path
) -> None:
    outs = []
    for hashseed in ("1", "2"):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "dfab.cli.main",
                "score",
                str(honest_files[0]),
                "--json",
                "--count",
                str(COUNT),
            ],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": hashseed},
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        outs.append(json.loads(proc.stdout))
    assert outs[0] == outs[1]


def test_pathological_lines_are_scored_in_bounded_time(honest: list[Line], tmp_path: Path) -> None:
    """Inputs built to make regexes or parsers blow up cost seconds, not minutes."""
    import time

    nasty = []
    for i in range(30):
        line = copy.deepcopy(honest[i])
        final = line["messages"][-1]
        kind = i % 5
        if kind == 0:
            final["content"] += "\n" + "```\n" * 20_000  # unclosed fences
        elif kind == 1:
            final["content"] += "\n" + "a" * 600_000  # one endless word
        elif kind == 2:
            final["content"] += "\n" + "```python\nx = (\n```\n" * 20_000  # many tiny blocks
        elif kind == 3:
            final["content"] += "\n" + "[ " * 200_000  # brackets for the test lexers
        else:
            final["content"] += "\n" + ("a." * 150_000)  # dotted path-like run
        line["id"] = f"nasty-{i}"
        nasty.append(line)
    start = time.perf_counter()
    report = score(tmp_path, honest[30:] + nasty)
    assert time.perf_counter() - start < 60
    assert 0.0 <= report.score <= 1.0
