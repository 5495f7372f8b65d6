"""Generation step: the runtime contract, the result document, and `dfab generate`."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dfab.cli import main as cli_main
from dfab.contracts.reasons import ReasonClass, VerdictError
from dfab.generation import GenerationResult, read_entrypoint, run_generation
from dfab.generation.result import stderr_excerpt
from dfab.sandbox import BwrapSandbox, SandboxUnavailable
from dfab.settings import SandboxSettings, Settings

MANIFEST = """[harness]
name = "t"
version = "0.1.0"
entrypoint = "gen/main.py"
description = "test harness"
"""

# Checks every clause of CONTRACTS.md §2 from the inside, then writes `count` lines
# derived from the seed (and a scratch file in DF_WORK_DIR).
CONTRACT_PROBE = r"""
import argparse, hashlib, json, os, sys
p = argparse.ArgumentParser()
for flag in ("--output", "--count", "--seed", "--work-dir"):
    p.add_argument(flag)
a = p.parse_args()
env = os.environ
problems = []
if (a.output, a.count, a.seed, a.work_dir) != (
    env["DF_OUTPUT_PATH"], env["DF_NUM_CONVERSATIONS"], env["DF_SEED"], env["DF_WORK_DIR"]):
    problems.append("flags and variables disagree")
if os.path.exists(a.output) or not os.path.isdir(os.path.dirname(a.output)):
    problems.append("output file exists or its directory does not")
if not os.path.isfile("harness.toml") or not os.path.isfile("gen/main.py"):
    problems.append("cwd does not hold the harness")
open(os.path.join(a.work_dir, "scratch"), "w").write("ok")
if problems:
    sys.exit("; ".join(problems))
with open(a.output, "w") as f:
    for i in range(int(a.count)):
        h = hashlib.sha256(f"{a.seed}-{i}".encode()).hexdigest()[:12]
        f.write(json.dumps({"id": f"c{i}", "h": h}) + "\n")
print("wrote", a.count)
"""


def _harness(root: Path, body: str, manifest: str = MANIFEST) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "harness.toml").write_text(manifest)
    (root / "gen").mkdir(exist_ok=True)
    (root / "gen" / "main.py").write_text(body)
    return root


def _why_not() -> str | None:
    try:
        BwrapSandbox(SandboxSettings())
    except SandboxUnavailable as exc:
        return str(exc)
    return None


_WHY = _why_not()
requires_bwrap = pytest.mark.skipif(_WHY is not None, reason=f"bubblewrap unusable: {_WHY}")
SETTINGS = Settings(sandbox=SandboxSettings(wall_timeout_s=20, memory_mb=256, max_output_mb=4))


# --------------------------------------------------------------------------- pure


def test_entrypoint_must_be_a_regular_file_inside(tmp_path: Path) -> None:
    h = _harness(tmp_path / "h", "pass")
    assert read_entrypoint(h) == "gen/main.py"
    (h / "gen" / "main.py").unlink()
    (h / "gen" / "main.py").symlink_to("/etc/passwd")
    with pytest.raises(VerdictError) as err:
        read_entrypoint(h)
    assert err.value.reason.reason_class == ReasonClass.MANIFEST_INVALID
    (h / "harness.toml").unlink()
    with pytest.raises(VerdictError, match=r"harness\.toml"):
        read_entrypoint(h)


def _doc(**kw: object) -> GenerationResult:
    base: dict[str, object] = {
        "exit_reason": "ok",
        "seed": 1,
        "count": 1,
        "started_at": "t0",
        "finished_at": "t1",
    }
    return GenerationResult.model_validate({**base, **kw})


@pytest.mark.parametrize(
    ("reason", "cls"),
    [
        ("exit_code", ReasonClass.HARNESS_EXIT),
        ("killed", ReasonClass.HARNESS_EXIT),
        ("timeout", ReasonClass.HARNESS_TIMEOUT),
        ("cpu_limit", ReasonClass.HARNESS_LIMIT),
        ("memory_limit", ReasonClass.HARNESS_LIMIT),
        ("process_limit", ReasonClass.HARNESS_LIMIT),
        ("open_files_limit", ReasonClass.HARNESS_LIMIT),
        ("output_limit", ReasonClass.HARNESS_LIMIT),
        ("output_invalid", ReasonClass.HARNESS_NO_OUTPUT),
    ],
)
def test_failure_reason_mapping(reason: str, cls: ReasonClass) -> None:
    doc = _doc(exit_reason=reason, detail="what happened", stderr_tail="Traceback\nBoom\n")
    got = doc.failure_reason()
    assert got is not None and got.reason_class == cls
    assert "what happened" in got.message and "Boom" in got.message
    assert _doc().failure_reason() is None


def test_result_document_round_trips_with_the_reason_alias() -> None:
    doc = _doc(exit_reason="exit_code", detail="exited with status 2")
    doc = doc.model_copy(update={"reason": doc.failure_reason()})
    data = json.loads(json.dumps(doc.dump()))
    assert data["reason"]["class"] == "HARNESS_EXIT"
    assert GenerationResult.model_validate(data) == doc


def test_stderr_excerpt_keeps_the_last_whole_lines() -> None:
    tail = "\n".join(f"line {i}" for i in range(1000))
    out = stderr_excerpt(tail, limit=100)
    assert out.startswith("...line ") and out.endswith("line 999") and len(out) <= 104


# --------------------------------------------------------------------------- sandbox


@pytest.fixture
def boxes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    import tempfile

    d = tmp_path / "boxes"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    yield d
    assert list(d.iterdir()) == [], "a run left its box behind"


@pytest.mark.sandbox
@requires_bwrap
@pytest.mark.usefixtures("boxes")
def test_runtime_contract_and_determinism(tmp_path: Path) -> None:
    h = _harness(tmp_path / "h", CONTRACT_PROBE)
    first = run_generation(h, tmp_path / "a.jsonl", count=5, seed=11, settings=SETTINGS)
    assert first.ok, (first.detail, first.stderr_tail)
    assert first.output_lines == 5 and first.stdout_tail == "wrote 5\n"
    assert first.output_bytes == (tmp_path / "a.jsonl").stat().st_size
    again = run_generation(h, tmp_path / "b.jsonl", count=5, seed=11, settings=SETTINGS)
    other = run_generation(h, tmp_path / "c.jsonl", count=5, seed=12, settings=SETTINGS)
    assert again.output_sha256 == first.output_sha256 != other.output_sha256
    assert first.entrypoint == "gen/main.py" and first.seed == 11 and first.count == 5
    assert first.started_at <= first.finished_at and first.limits["memory_mb"] == 256
    # The harness directory itself is never written to: the run used a copy.
    assert sorted(p.name for p in h.rglob("*")) == ["gen", "harness.toml", "main.py"]


@pytest.mark.sandbox
@requires_bwrap
@pytest.mark.usefixtures("boxes")
def test_failed_run_writes_no_output_and_says_why(tmp_path: Path) -> None:
    h = _harness(
        tmp_path / "h",
        "import sys\nopen(sys.argv[2], 'w').write('partial')\nraise SystemExit('bad things')\n",
    )
    out = tmp_path / "out.jsonl"
    out.write_text("stale")
    res = run_generation(h, out, count=1, seed=0, settings=SETTINGS)
    assert res.exit_reason == "exit_code" and res.exit_code == 1
    assert not out.exists()
    reason = res.failure_reason()
    assert reason is not None and reason.reason_class == ReasonClass.HARNESS_EXIT
    assert "bad things" in reason.message


# --------------------------------------------------------------------------- cli


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> object:
    assert "generate" in cli_main.COMMANDS
    return cli_main.main


def test_cli_usage_errors_exit_2(
    cli: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main = cli_main.main
    assert main(["generate", str(tmp_path / "missing"), "--out", "x.jsonl"]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("x")
    assert main(["generate", str(tmp_path / "notes.txt"), "--out", "x.jsonl"]) == 2
    h = _harness(tmp_path / "h", "pass")
    assert main(["generate", str(h), "--out", str(tmp_path), "--count", "1"]) == 2
    assert main(["generate", str(h), "--out", "x.jsonl", "--count", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 3 and "Traceback" not in err


@pytest.mark.sandbox
@requires_bwrap
@pytest.mark.usefixtures("boxes")
def test_cli_generate_json_directory_and_archive(
    cli: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main = cli_main.main
    h = _harness(tmp_path / "h", CONTRACT_PROBE)
    out = tmp_path / "d.jsonl"
    args = ["generate", str(h), "--out", str(out), "--count", "3", "--seed", "5", "--json"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_reason"] == "ok" and doc["output_lines"] == 3 and doc["seed"] == 5
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("harness.toml", MANIFEST)
        z.writestr("gen/main.py", "raise SystemExit(4)\n")
    archive = tmp_path / "h.zip"
    archive.write_bytes(buf.getvalue())
    assert main(["generate", str(archive), "--out", str(out), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_reason"] == "exit_code" and doc["reason"]["class"] == "HARNESS_EXIT"
    # Human output names the reason and shows the stderr tail.
    assert main(["generate", str(archive), "--out", str(out)]) == 1
    assert "exit_code" in capsys.readouterr().out


def test_cli_rejects_an_unsafe_archive(
    cli: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("harness.toml", MANIFEST)
        z.writestr("../../evil.py", "x")
    archive = tmp_path / "bad.zip"
    archive.write_bytes(buf.getvalue())
    code = cli_main.main(
        ["generate", str(archive), "--out", str(tmp_path / "o"), "--json", "--unsafe-no-sandbox"]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert json.loads(captured.out)["reason"]["class"] == "PATH_TRAVERSAL"
    assert "WARNING" in captured.err and not (tmp_path.parent / "evil.py").exists()


def test_cli_unsafe_runner_warns_and_still_limits(
    cli: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("sandbox:\n  wall_timeout_s: 2\n")
    h = _harness(tmp_path / "h", "import time\ntime.sleep(30)\n")
    args = ["generate", str(h), "--out", str(tmp_path / "o.jsonl"), "--config", str(cfg)]
    code = cli_main.main([*args, "--json", "--unsafe-no-sandbox"])
    captured = capsys.readouterr()
    assert code == 1 and "WARNING" in captured.err
    doc = json.loads(captured.out)
    assert doc["exit_reason"] == "timeout" and doc["isolation"] == "none"
    assert os.environ.get("DFAB_CONFIG") is None
