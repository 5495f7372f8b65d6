"""Sandbox start + teardown overhead: `python -c pass` in the sandbox vs run directly.

`python -m bench.sandbox [--runs 30]` times, in one process and interleaved (so both
see the same machine state), the harness interpreter running `pass`:

  direct      subprocess.run([runtime_python, "-c", "pass"])
  sandboxed   a fresh box (tmpfs mount where possible), cgroups, bwrap + setpriv,
              the same command, teardown (cgroup kill/remove, unmount, delete)

and prints medians, p90s and `ratio = sandboxed / direct` as JSON (target < 3).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

from dfab.sandbox import BwrapSandbox, RunSpec, SandboxUnavailable
from dfab.settings import SandboxSettings


def _direct(python: str) -> float:
    t = time.perf_counter()
    subprocess.run([python, "-c", "pass"], check=True, env={"PATH": "/usr/bin:/bin"})
    return time.perf_counter() - t


def _sandboxed(sb: BwrapSandbox) -> float:
    t = time.perf_counter()
    with sb.box() as box:
        res = sb.run(box, RunSpec(argv=["python", "-c", "pass"]))
    elapsed = time.perf_counter() - t
    if res.exit_reason != "ok":
        raise RuntimeError(f"sandboxed run failed: {res.detail} {res.stderr_tail}")
    return elapsed


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--no-cgroups", action="store_true", help="rlimits only (shows what cgroups cost)"
    )
    args = parser.parse_args(argv)
    try:
        sb = BwrapSandbox(SandboxSettings(use_cgroups=not args.no_cgroups))
    except SandboxUnavailable as exc:
        print(json.dumps({"benchmark": "sandbox", "skipped": str(exc)}))
        return 1
    python = sb.runtime.python
    for _ in range(3):  # warm the page cache and the interpreter probe
        _direct(python)
        _sandboxed(sb)
    direct: list[float] = []
    boxed: list[float] = []
    for _ in range(args.runs):
        direct.append(_direct(python))
        boxed.append(_sandboxed(sb))
    with sb.box() as box:
        sample = sb.run(box, RunSpec(argv=["python", "-c", "pass"]))
    d, s = _summary(direct), _summary(boxed)
    out: dict[str, Any] = {
        "benchmark": "sandbox",
        "runs": args.runs,
        "runtime_python": python,
        "host": {"python": sys.version.split()[0], "kernel": platform.release()},
        "enforcement": {
            "memory": sample.memory_enforcement,
            "processes": sample.process_enforcement,
            "workdir": sample.workdir_enforcement,
            "privileged_bwrap": sb.privileged,
        },
        "direct": d,
        "sandboxed": s,
        "overhead_ms": round(s["median_ms"] - d["median_ms"], 2),
        "ratio": round(s["median_ms"] / d["median_ms"], 2),
        # Medians move with machine load; the minima show the cost on a quiet machine.
        "ratio_min": round(s["min_ms"] / d["min_ms"], 2),
        "target_ratio": 3.0,
    }
    out["meets_target"] = out["ratio"] < out["target_ratio"]
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
