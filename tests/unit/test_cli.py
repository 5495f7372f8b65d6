"""CLI conventions: usage errors are one line and exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dfab.cli.main import main


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dfab.cli.main", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("bogus",),
        ("evaluate",),
        ("evaluate", "/nonexistent/harness"),
        ("score", "/nonexistent.jsonl"),
        ("config", "--config", "/nonexistent.yaml"),
        ("evaluate", ".", "--count", "0"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: tuple[str, ...]) -> None:
    proc = _run(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("dfab: error: ")
    assert "Traceback" not in proc.stderr


def test_directory_without_manifest(tmp_path: Path) -> None:
    proc = _run("evaluate", str(tmp_path))
    assert proc.returncode == 2
    assert "harness.toml" in proc.stderr and "dfab init" in proc.stderr


def test_bad_config_value_names_the_setting(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("scoring:\n  min_valid_fraction: 3\n")
    proc = _run("config", "--config", str(cfg))
    assert proc.returncode == 2
    assert "scoring.min_valid_fraction" in proc.stderr


def test_init_scaffolds_a_valid_harness(tmp_path: Path) -> None:
    from dfab.contracts.allowlist import RUNTIME_ALLOWLIST
    from dfab.contracts.manifest import load_harness

    dest = tmp_path / "my_harness"
    assert main(["init", str(dest)]) == 0
    manifest = load_harness(dest, RUNTIME_ALLOWLIST)
    assert manifest.harness.name == "my-harness"
    assert main(["init", str(dest)]) == 2  # not empty any more


def test_allowlist_matches_the_sandbox_image_requirements() -> None:
    from dfab.contracts.allowlist import RUNTIME_ALLOWLIST
    from dfab.contracts.manifest import canonical_dependency

    root = Path(__file__).resolve().parents[2]
    pinned = {
        canonical_dependency(line.split("==")[0].strip())
        for line in (root / "sandbox_image" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert pinned == {canonical_dependency(n) for n in RUNTIME_ALLOWLIST}
