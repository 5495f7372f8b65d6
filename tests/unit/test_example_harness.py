"""The example harness (examples/harness): runtime contract, validity, spread, verification.

The harness is run as a subprocess, the way the evaluator runs it, with the sandbox
interpreter when it exists (stdlib + pytest only). Every verification block is then run in
a fresh directory and must pass, and must fail once `metadata.buggy_files` is swapped in:
that proves the generated tests check something. Our own code, so no sandbox is needed.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dfab.contracts.dataset import parse_conversation
from dfab.contracts.manifest import parse_manifest

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "examples" / "harness"
SANDBOX_PY = ROOT / ".venv-sandbox" / "bin" / "python"
PYTHON = str(SANDBOX_PY) if SANDBOX_PY.exists() else sys.executable
COUNT = 60
SEED_A, SEED_B = 20261125, 7


@dataclass(frozen=True)
class Run:
    """One harness run: exit code, stderr and the raw output bytes."""

    code: int
    stderr: str
    data: bytes

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.data.decode("utf-8").splitlines()]


def _copy_harness(dest: Path) -> Path:
    shutil.copytree(HARNESS, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DF_", "PYTEST_"))}


def run_harness(
    harness: Path,
    out: Path,
    *,
    flags: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 180,
) -> Run:
    """`python generate.py [flags]` with cwd = the harness copy, like the evaluator does."""
    argv = [PYTHON, "generate.py"]
    for name, value in (flags or {}).items():
        argv += [f"--{name}", value]
    proc = subprocess.run(
        argv,
        cwd=harness,
        env={**_clean_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    data = out.read_bytes() if out.exists() else b""
    return Run(proc.returncode, proc.stderr, data)


@pytest.fixture(scope="module")
def harness_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_harness(tmp_path_factory.mktemp("h") / "harness")


@pytest.fixture(scope="module")
def runs(harness_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Seed A via flags, seed A via environment only, seed B via flags (run concurrently)."""
    base = tmp_path_factory.mktemp("runs")

    def one(label: str, seed: int, style: str) -> Run:
        target, work = base / f"{label}.jsonl", base / f"work-{label}"
        values = {
            "output": str(target),
            "count": str(COUNT),
            "seed": str(seed),
            "work-dir": str(work),
        }
        if style == "flags":
            return run_harness(harness_copy, target, flags=values)
        env = {
            "DF_OUTPUT_PATH": values["output"],
            "DF_NUM_CONVERSATIONS": values["count"],
            "DF_SEED": values["seed"],
            "DF_WORK_DIR": values["work-dir"],
        }
        return run_harness(harness_copy, target, env=env)

    plan = (("a_flags", SEED_A, "flags"), ("a_env", SEED_A, "env"), ("b_flags", SEED_B, "flags"))
    with ThreadPoolExecutor(max_workers=len(plan)) as pool:
        futures = {label: pool.submit(one, label, seed, style) for label, seed, style in plan}
    out = {label: future.result() for label, future in futures.items()}
    for label, run in out.items():
        assert run.code == 0, f"{label}: exit {run.code}\n{run.stderr[-2000:]}"
    return out


# --------------------------------------------------------------------------- package


def test_manifest_matches_the_contract() -> None:
    manifest = parse_manifest((HARNESS / "harness.toml").read_text(encoding="utf-8"))
    assert manifest.harness.name == "example-harness"
    assert manifest.harness.version == "0.1.0"
    assert manifest.harness.entrypoint == "generate.py"
    assert manifest.harness.dependencies == []
    assert (HARNESS / manifest.harness.entrypoint).is_file()
    assert (HARNESS / "README.md").is_file()
    data = tomllib.loads((HARNESS / "harness.toml").read_text(encoding="utf-8"))
    assert data["harness"]["description"]


def test_harness_code_uses_only_the_standard_library() -> None:
    """Imports resolve to the stdlib, the harness's own package, or pytest (batch runner)."""
    allowed = set(sys.stdlib_module_names) | {"fabricator", "pytest", "__future__"}
    for path in HARNESS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        ({"count": "3", "seed": "1"}, "--output"),
        ({"output": "{out}", "count": "abc", "seed": "1"}, "integer"),
        ({"output": "{out}", "count": "0", "seed": "1"}, "between"),
        ({"output": "{out}", "count": "3", "seed": "-4"}, "between"),
        ({"output": "{out}", "count": "3"}, "--seed"),
        ({"output": "{missing}", "count": "3", "seed": "1"}, "does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(
    harness_copy: Path, tmp_path: Path, flags: dict[str, str], needle: str
) -> None:
    subst = {"{out}": str(tmp_path / "o.jsonl"), "{missing}": str(tmp_path / "no" / "o.jsonl")}
    resolved = {k: subst.get(v, v) for k, v in flags.items()}
    run = run_harness(harness_copy, tmp_path / "o.jsonl", flags=resolved, timeout=30)
    assert run.code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_flags_take_precedence_over_environment(harness_copy: Path, tmp_path: Path) -> None:
    target = tmp_path / "o.jsonl"
    env = {
        "DF_OUTPUT_PATH": str(target),
        "DF_NUM_CONVERSATIONS": "9",
        "DF_SEED": "3",
        "DF_WORK_DIR": str(tmp_path / "w"),
    }
    run = run_harness(harness_copy, target, flags={"count": "2"}, env=env, timeout=60)
    assert run.code == 0, run.stderr
    assert len(run.lines) == 2
    assert "using the flag" in run.stderr


# --------------------------------------------------------------------------- the dataset


@pytest.mark.slow
def test_every_line_is_valid_and_ids_are_unique(runs: dict[str, Run]) -> None:
    for label in ("a_flags", "b_flags"):
        lines = runs[label].lines
        assert len(lines) == COUNT
        for i, line in enumerate(lines):
            conv, violations = parse_conversation(line)
            assert conv is not None, f"{label} line {i}: {[v.as_dict() for v in violations]}"
        ids = [line["id"] for line in lines]
        assert len(set(ids)) == COUNT


@pytest.mark.slow
def test_same_seed_is_byte_identical_and_env_agrees_with_flags(runs: dict[str, Run]) -> None:
    assert runs["a_flags"].data == runs["a_env"].data


@pytest.mark.slow
def test_different_seed_gives_a_different_dataset(runs: dict[str, Run]) -> None:
    a, b = runs["a_flags"].lines, runs["b_flags"].lines
    assert runs["a_flags"].data != runs["b_flags"].data
    same = sum(x["messages"] == y["messages"] for x, y in zip(a, b, strict=True))
    assert same == 0


@pytest.mark.slow
def test_no_warnings_and_nothing_written_into_the_harness(
    runs: dict[str, Run], harness_copy: Path
) -> None:
    for label, run in runs.items():
        assert "warning" not in run.stderr, f"{label}: {run.stderr}"
    assert not list(harness_copy.rglob("__pycache__"))


@pytest.mark.slow
def test_spread_of_languages_categories_and_families(runs: dict[str, Run]) -> None:
    for label in ("a_flags", "b_flags"):
        lines = runs[label].lines
        languages = Counter(
            lang
            for line in lines
            for lang in (
                [line["task"]["language"]]
                if isinstance(line["task"]["language"], str)
                else line["task"]["language"][:1]
            )
        )
        categories = Counter(line["task"]["category"] for line in lines)
        families = Counter(line["metadata"]["family"] for line in lines)
        assert len(languages) >= 4, languages
        assert len(categories) >= 6, categories
        assert len(families) >= 20, families
        python_verified = sum(
            1 for line in lines if line["task"]["language"] == "python" and "verification" in line
        )
        assert python_verified >= 0.4 * COUNT


@pytest.mark.slow
def test_conversations_are_agentic(runs: dict[str, Run]) -> None:
    """Reasoning before acting, several tool steps, distinct results, a delivered answer."""
    for line in runs["a_flags"].lines:
        msgs = line["messages"]
        assert msgs[0]["role"] == "system" and msgs[1]["role"] == "user"
        assistants = [m for m in msgs if m["role"] == "assistant"]
        assert all(m.get("reasoning_content") for m in assistants)
        calls = [c for m in assistants for c in m.get("tool_calls") or []]
        assert len(calls) >= 2, line["id"]
        results = [m["content"] for m in msgs if m["role"] == "tool"]
        assert len(set(results)) == len(results), line["id"]
        final = msgs[-1]["content"]
        assert "```" in final or len(final) > 400, line["id"]


@pytest.mark.slow
def test_tool_arguments_match_their_schemas(runs: dict[str, Run]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for line in runs["a_flags"].lines + runs["b_flags"].lines:
        validators = {}
        for tool in line["tools"]:
            schema = tool["function"]["parameters"]
            jsonschema.Draft202012Validator.check_schema(schema)
            validators[tool["function"]["name"]] = jsonschema.Draft202012Validator(schema)
        for msg in line["messages"]:
            for call in msg.get("tool_calls") or []:
                fn = call["function"]
                validators[fn["name"]].validate(json.loads(fn["arguments"]))


# --------------------------------------------------------------------------- verification


def _run_block(files: dict[str, str], command: list[str], timeout: int, where: Path) -> int:
    where.mkdir(parents=True)
    for rel, text in files.items():
        target = where / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    argv = [PYTHON if command[0] == "python" else command[0], *command[1:]]
    env = {**_clean_env(), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        argv, cwd=where, env=env, capture_output=True, timeout=timeout, check=False
    )
    return proc.returncode


@pytest.mark.slow
def test_verification_blocks_pass_and_catch_the_buggy_code(
    runs: dict[str, Run], tmp_path: Path
) -> None:
    jobs: list[tuple[str, dict[str, str], list[str], int, int]] = []
    for line in runs["a_flags"].lines:
        ver = line.get("verification")
        if not ver:
            continue
        expect = ver.get("expect_exit_code", 0)
        jobs.append((line["id"], ver["files"], ver["command"], ver["timeout_s"], expect))
        buggy = line["metadata"].get("buggy_files")
        assert buggy, f"{line['id']}: verified line without metadata.buggy_files"
        assert set(buggy) <= set(ver["files"])
        assert any(ver["files"][p] != buggy[p] for p in buggy)
        jobs.append(
            (line["id"] + "-buggy", {**ver["files"], **buggy}, ver["command"], ver["timeout_s"], -1)
        )
    assert len(jobs) >= 2 * int(0.4 * COUNT)

    def check(job: tuple[str, dict[str, str], list[str], int, int]) -> str | None:
        name, files, command, timeout, expect = job
        code = _run_block(files, command, timeout, tmp_path / name)
        if expect == -1:
            return None if code != 0 else f"{name}: passed with the buggy code"
        return None if code == expect else f"{name}: exit {code}, expected {expect}"

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        problems = [p for p in pool.map(check, jobs) if p]
    assert not problems, problems
