"""Parser throughput: plain `json.loads` vs our verdicts vs verdicts + Parquet.

`python -m bench.parser [--mb 100] [--keep]` writes a synthetic dataset shaped like
CONTRACTS.md §3 (varied sizes, ~2% invalid lines) under bench/.data/, then runs each
phase in a fresh interpreter so peak RSS is per phase, and prints JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / ".data"
PHASES = ("json_loads", "verdicts", "verdicts_parquet")
CHILD = (sys.executable, "-m", "bench.parser")

# --------------------------------------------------------------------------- data

_WORDS = [
    *("items", "page", "size", "offset", "total", "cursor", "result", "value", "index"),
    *("count", "buffer", "config", "request", "response", "handler", "parser", "record"),
    *("batch", "token", "user", "order", "cache", "limit"),
]
_TOOLS = [
    ("read_file", {"path": {"type": "string"}}, ["path"]),
    (
        "write_file",
        {"path": {"type": "string"}, "content": {"type": "string"}},
        ["path", "content"],
    ),
    ("run_tests", {"args": {"type": "array", "items": {"type": "string"}}}, []),
    ("grep", {"pattern": {"type": "string"}, "glob": {"type": "string"}}, ["pattern"]),
    ("list_dir", {"path": {"type": "string"}, "depth": {"type": "integer", "minimum": 1}}, []),
]


def _name(rng: random.Random) -> str:
    return "_".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))


def _code(rng: random.Random, lines: int) -> str:
    out: list[str] = []
    while len(out) < lines:
        fn, a, b = _name(rng), _name(rng), _name(rng)
        out += [
            f"def {fn}({a}, {b}=None):",
            f'    """Return the {rng.choice(_WORDS)} of {a} for {b}."""',
            f"    {b} = {b} or {{}}",
            f"    for i, item in enumerate({a}[{rng.randint(0, 9)}:]):",
            f"        if item.get('{rng.choice(_WORDS)}') > {rng.randint(1, 500)}:",
            f"            {b}[i] = item  # keep the {rng.choice(_WORDS)}",
            f"    return sorted({b}.values(), key=lambda x: x['{rng.choice(_WORDS)}'])",
            "",
        ]
    return "\n".join(out[:lines])


def _prose(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    if rng.random() < 0.2:
        text += " \u2714 done \U0001f600"  # non-ASCII, escaped when ensure_ascii
    return text.capitalize() + "."


def _sized(rng: random.Random) -> int:
    """Code size in lines: mostly small, a long tail of big files."""
    return min(int(rng.lognormvariate(3.6, 1.0)) + 4, 3000)


def conversation(rng: random.Random, index: int) -> dict[str, Any]:
    tools = rng.sample(_TOOLS, rng.randint(2, len(_TOOLS)))
    names = [t[0] for t in tools]
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a coding agent working in a repository."},
        {"role": "user", "content": _prose(rng, rng.randint(20, 120))},
    ]
    for call in range(rng.randint(0, 10)):
        name = rng.choice(names)
        args = {"path": f"src/{_name(rng)}.py"}
        if name == "write_file":
            args["content"] = _code(rng, _sized(rng))
        call_id = f"call_{index}_{call}"
        messages.append(
            {
                "role": "assistant",
                "reasoning_content": _prose(rng, rng.randint(10, 80)),
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(args)},
                    }
                ],
            }
        )
        result = _code(rng, _sized(rng)) if name == "read_file" else _prose(rng, 40)
        messages.append({"role": "tool", "tool_call_id": call_id, "name": name, "content": result})
    solution = _code(rng, _sized(rng))
    messages.append(
        {
            "role": "assistant",
            "reasoning_content": _prose(rng, rng.randint(10, 60)),
            "content": f"{_prose(rng, 30)}\n```python\n{solution}\n```\n{_prose(rng, 15)}",
        }
    )
    line: dict[str, Any] = {
        "schema_version": 1,
        "id": f"conv-{index:07d}",
        "task": {
            "category": rng.choice(["bug_fix", "feature", "refactor", "tests"]),
            "language": "python",
            "difficulty": rng.choice(["easy", "medium", "hard"]),
            "summary": _prose(rng, 8),
        },
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": _prose(rng, 8),
                    "parameters": {"type": "object", "properties": props, "required": req},
                },
            }
            for name, props, req in tools
        ],
        "messages": messages,
        "metadata": {"generator": "bench", "seed": index},
    }
    if rng.random() < 0.6:
        line["verification"] = {
            "kind": "command",
            "files": {"solution.py": solution, "test_solution.py": _code(rng, 20)},
            "command": ["python", "-m", "pytest", "-q"],
            "timeout_s": 30,
            "solution_files": ["solution.py"],
        }
    return line


def write_dataset(path: Path, target_bytes: int, seed: int = 7) -> int:
    """Write lines until `target_bytes`; ~2% are broken in assorted ways."""
    rng = random.Random(seed)
    written = 0
    index = 0
    with path.open("wb") as out:
        while written < target_bytes:
            conv = conversation(rng, index)
            roll = rng.random()
            if roll < 0.005:
                data = b'{"schema_version": 1, "id": "broken'  # not JSON
            elif roll < 0.01:
                conv["messages"].pop()  # no final answer
                data = json.dumps(conv).encode()
            elif roll < 0.02:
                conv["id"] = "conv-0000000"  # duplicate
                data = json.dumps(conv).encode()
            else:
                data = json.dumps(conv, ensure_ascii=rng.random() < 0.5).encode()
            out.write(data + b"\n")
            written += len(data) + 1
            index += 1
    return index


# --------------------------------------------------------------------------- phases


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _once(phase: str, data: Path) -> tuple[float, int, int]:
    """One timed run of `phase`: `(seconds, lines judged valid or decoded, parquet bytes)`."""
    from dfab.contracts.dataset import DatasetLimits
    from dfab.dataset.ingest import ingest_jsonl
    from dfab.dataset.parser import iter_verdicts

    limits = DatasetLimits()
    count = 0
    out_bytes = 0
    start = time.perf_counter()
    if phase == "json_loads":
        with data.open("rb") as stream:
            for line in stream:
                with contextlib.suppress(ValueError):
                    json.loads(line)
                    count += 1
    elif phase == "verdicts":
        with data.open("rb") as stream:
            for verdict in iter_verdicts(stream, limits):
                count += verdict.valid
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "dataset.parquet"
            count = ingest_jsonl(data, out, limits, 50).summary.valid
            out_bytes = out.stat().st_size
    return time.perf_counter() - start, count, out_bytes


def run_phase(phase: str, data: Path, repeat: int) -> dict[str, Any]:
    """Best of `repeat` runs (the machine may be shared); peak RSS over all of them."""
    import dfab.dataset.ingest  # noqa: F401  (imports are not part of the timing)

    rss_before = _rss_mb()
    runs = [_once(phase, data) for _ in range(repeat)]
    seconds, count, out_bytes = min(runs)
    return {
        "phase": phase,
        "seconds": round(seconds, 3),
        "runs_seconds": [round(r[0], 3) for r in runs],
        "lines": count,
        "parquet_bytes": out_bytes,
        "rss_after_imports_mb": round(rss_before, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.parser")
    parser.add_argument("--mb", type=float, default=100.0, help="dataset size to generate")
    parser.add_argument("--keep", action="store_true", help="reuse an existing dataset")
    parser.add_argument("--repeat", type=int, default=3, help="runs per phase (best counts)")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        print(json.dumps(run_phase(args.phase, args.data, args.repeat)))
        return 0

    DATA_DIR.mkdir(exist_ok=True)
    data = DATA_DIR / f"bench-{int(args.mb)}mb.jsonl"
    gen_seconds = 0.0
    if not (args.keep and data.exists()):
        start = time.perf_counter()
        write_dataset(data, int(args.mb * 1024 * 1024))
        gen_seconds = time.perf_counter() - start
    size_mb = data.stat().st_size / (1024 * 1024)
    lines = sum(1 for _ in data.open("rb"))

    results = {}
    for phase in PHASES:
        proc = subprocess.run(
            [*CHILD, "--phase", phase, "--data", str(data), f"--repeat={args.repeat}"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        results[phase] = json.loads(proc.stdout)
    base = results["json_loads"]["seconds"]
    for res in results.values():
        res["mb_per_s"] = round(size_mb / res["seconds"], 1)
        res["ratio_vs_json_loads"] = round(res["seconds"] / base, 2)
    report = {
        "bench": "parser",
        "python": sys.version.split()[0],
        "dataset": {
            "path": str(data),
            "mb": round(size_mb, 1),
            "lines": lines,
            "avg_line_kb": round(size_mb * 1024 / lines, 1),
            "generate_seconds": round(gen_seconds, 1),
        },
        "results": results,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
