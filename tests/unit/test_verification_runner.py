"""Verification runner: outcomes, per-block timeouts, the total budget, fresh directories."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dfab.contracts.dataset import Verification
from dfab.sandbox import BwrapSandbox, SandboxResult, SandboxUnavailable
from dfab.sandbox.box import Box
from dfab.sandbox.runner import RunSpec
from dfab.settings import SandboxSettings, Settings, VerificationSettings
from dfab.verification import run_verification_blocks
from dfab.verification.runner import _outcome


def _block(command: list[str], **kw: object) -> Verification:
    files = kw.pop("files", {"sol.py": "x = 1\n"})
    return Verification.model_validate(
        {"kind": "command", "files": files, "command": command, "solution_files": ["sol.py"], **kw}
    )


def _res(reason: str, code: int | None, **kw: object) -> SandboxResult:
    return SandboxResult.model_validate(
        {
            "exit_reason": reason,
            "exit_code": code,
            "duration_s": 0.1,
            "memory_enforcement": "cgroup_v1",
            "process_enforcement": "cgroup_v1",
            "workdir_enforcement": "tmpfs",
            "isolation": "bwrap",
            **kw,
        }
    )


@pytest.mark.parametrize(
    ("reason", "code", "expect", "outcome"),
    [
        ("ok", 0, 0, "pass"),
        ("ok", 0, 1, "fail"),
        ("exit_code", 1, 1, "pass"),
        ("exit_code", 2, 0, "fail"),
        ("timeout", None, 0, "timeout"),
        ("memory_limit", None, 0, "error"),
        ("killed", None, 0, "error"),
        ("output_limit", 1, 1, "error"),
    ],
)
def test_outcome_mapping(reason: str, code: int | None, expect: int, outcome: str) -> None:
    assert _outcome(_res(reason, code), expect)[0] == outcome


class FakeSandbox:
    """Records what it was asked to run; each run 'takes' `cost_s` seconds of budget."""

    isolation = "fake"

    def __init__(self, settings: SandboxSettings, clock: list[float], cost_s: float) -> None:
        self.settings = settings
        self.clock, self.cost_s = clock, cost_s
        self.calls: list[tuple[list[str], float | None, dict[str, str]]] = []

    @contextlib.contextmanager
    def box(self, base_dir: Path | None = None) -> Iterator[Box]:
        with tempfile.TemporaryDirectory() as d:
            yield Box(path=Path(d), inside=d, size_bytes=1 << 20, tmpfs=False)

    def run(self, box: Box, spec: RunSpec) -> SandboxResult:
        root = box.path / spec.cwd
        files = {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}
        self.calls.append((list(spec.argv), spec.wall_timeout_s, files))
        self.clock[0] += self.cost_s
        return _res("ok", 0)


def test_budget_caps_and_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    monkeypatch.setattr("dfab.verification.runner.time.monotonic", lambda: clock[0])
    settings = Settings(
        sandbox=SandboxSettings(wall_timeout_s=45),
        verification=VerificationSettings(max_total_s=100, max_block_timeout_s=40),
    )
    fake = FakeSandbox(settings.sandbox, clock, cost_s=35)
    blocks = [
        ("a", _block(["python", "-m", "pytest"], timeout_s=60)),
        ("b", _block(["true"], timeout_s=10, files={"sol.py": "1", "pkg/test_x.py": "2"})),
        ("c", _block(["true"], timeout_s=60)),
        ("d", _block(["true"])),
    ]
    report = run_verification_blocks(blocks, settings, fake)  # type: ignore[arg-type]
    timeouts = [c[1] for c in fake.calls]
    # a: capped by config (40); b: its own 10; c: the 30 s left of the budget; d: skipped.
    assert timeouts == [40, 10, 30]
    assert fake.calls[1][2] == {"sol.py": "1", "pkg/test_x.py": "2"}
    assert [r.outcome for r in report.results] == ["pass", "pass", "pass", "skipped"]
    doc = report.dump()
    assert doc["passed"] == 3 and doc["skipped"] == 1 and doc["pass_rate"] == 1.0


def test_conflicting_file_layout_is_an_error_not_a_crash() -> None:
    clock = [0.0]
    settings = Settings()
    fake = FakeSandbox(settings.sandbox, clock, cost_s=0)
    block = _block(["true"], files={"sol.py": "1", "sol.py/inner.py": "2"})
    report = run_verification_blocks([("x", block)], settings, fake)  # type: ignore[arg-type]
    assert report.results[0].outcome == "error" and fake.calls == []


# --------------------------------------------------------------------------- sandbox


def _why_not() -> str | None:
    try:
        BwrapSandbox(SandboxSettings())
    except SandboxUnavailable as exc:
        return str(exc)
    return None


_WHY = _why_not()


@pytest.mark.sandbox
@pytest.mark.skipif(_WHY is not None, reason=f"bubblewrap unusable: {_WHY}")
def test_blocks_in_the_sandbox() -> None:
    code = "def add(a, b):\n    return a + b\n"
    tests = "from sol import add\n\ndef test_add():\n    assert add(2, 2) == 4\n"
    pytest_cmd = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    blocks = [
        ("pass", _block(pytest_cmd, files={"sol.py": code, "tests/test_sol.py": tests})),
        ("fail", _block(pytest_cmd, files={"sol.py": code.replace("+", "-"), "test_s.py": tests})),
        ("expect", _block(["python", "-c", "raise SystemExit(3)"], expect_exit_code=3)),
        ("timeout", _block(["python", "-c", "import time; time.sleep(30)"], timeout_s=1)),
        ("litter", _block(["python", "-c", "open('left.txt', 'w').write('x')"])),
        (
            "fresh",
            _block(["python", "-c", "import os; raise SystemExit(os.path.exists('left.txt'))"]),
        ),
        ("empty", _block(["python", "-c", "import os; print(sorted(os.listdir('.')))"])),
    ]
    settings = Settings(
        sandbox=SandboxSettings(memory_mb=256), verification=VerificationSettings(max_total_s=60)
    )
    report = run_verification_blocks(blocks, settings)
    got = {r.conversation_id: r.outcome for r in report.results}
    assert got == {
        "pass": "pass",
        "fail": "fail",
        "expect": "pass",
        "timeout": "timeout",
        "litter": "pass",
        "fresh": "pass",
        "empty": "pass",
    }, [(r.conversation_id, r.detail, r.stderr_tail[-300:]) for r in report.results]
    empty = next(r for r in report.results if r.conversation_id == "empty")
    assert empty.stdout_tail.strip() == "['sol.py']"
    timed = next(r for r in report.results if r.conversation_id == "timeout")
    assert timed.duration_s < 5
