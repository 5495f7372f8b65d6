"""Scoring throughput and memory: all signals vs plain `json.loads` of the same lines.

`python -m bench.scoring [--mb 100] [--conversations 20000] [--keep]` writes a synthetic
dataset of realistic agentic coding conversations (several task kinds and languages,
tool schemas, reasoning, tool results, code, verification blocks; ~6 KB a line) under
bench/.data/, parses it to Parquet once (the pipeline's Parse step, not timed), then runs
two phases, each in a fresh interpreter so its peak RSS is its own (VmHWM from
/proc/self/status: what `resource.getrusage` reports as ru_maxrss, without the parent's
peak that ru_maxrss can carry across fork+exec; ru_maxrss where /proc is absent):

- `json_loads`: `json.loads` of every line of the JSONL file;
- `score`: every scoring signal except the sandboxed verification (the pipeline's Score
  groups plus Aggregate), reading the Parquet file exactly as the Score Lambdas do.

Phases alternate (json, score, json, score, ...) and the best run of each counts, so a
busy machine slows both sides alike.

Prints one JSON document with the timings, the ratio and the peak RSS of each phase.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / ".data"
CHILD = (sys.executable, "-m", "bench.scoring")

# --------------------------------------------------------------------------- data

_NOUNS_TEXT = (
    "invoice order customer account payment shipment ticket booking session user report "
    "record batch token cache queue event message metric sensor device file page item "
    "product review comment profile vehicle employee schedule route job task plan quota "
    "coupon cart address region tenant ledger entry balance transfer refund webhook"
)
_NOUNS = tuple(_NOUNS_TEXT.split())
_VERBS_TEXT = (
    "parse load save build compute merge split format validate normalize resolve fetch "
    "render export import sync apply filter group count rank encode decode"
)
_VERBS = tuple(_VERBS_TEXT.split())
_PROSE_TEXT = (
    "the function returns a value that the caller expects but the edge case when the input "
    "is empty is not handled so the loop never runs and the result stays at its default "
    "which breaks the report downstream because totals are computed from it"
)
_PROSE = tuple(_PROSE_TEXT.split())
_SYMPTOMS = ("drops the last", "double counts the", "ignores the")
_TOOLS = {
    "read_file": ({"path": {"type": "string", "description": "Path to read."}}, ["path"]),
    "write_file": (
        {"path": {"type": "string"}, "content": {"type": "string"}},
        ["path", "content"],
    ),
    "search": (
        {"pattern": {"type": "string", "minLength": 1}, "glob": {"type": "string"}},
        ["pattern"],
    ),
    "run_tests": (
        {"path": {"type": "string"}, "extra_args": {"type": "array", "items": {"type": "string"}}},
        [],
    ),
    "run_command": (
        {"command": {"type": "string"}, "timeout_s": {"type": "integer", "minimum": 1}},
        ["command"],
    ),
}


def _ident(rng: random.Random) -> str:
    return f"{rng.choice(_VERBS)}_{rng.choice(_NOUNS)}"


def _sentence(rng: random.Random, n: int) -> str:
    start = rng.randrange(len(_PROSE))
    words = [_PROSE[(start + i) % len(_PROSE)] for i in range(n)]
    words[rng.randrange(n)] = rng.choice(_NOUNS)
    return " ".join(words).capitalize() + "."


def _py_function(rng: random.Random, name: str) -> str:
    arg, other = rng.choice(_NOUNS), rng.choice(_NOUNS) + "s"
    body = [
        f"def {name}({other}, limit={rng.randint(2, 50)}):",
        f'    """{_sentence(rng, 8)}"""',
        "    result = []",
        f"    for {arg} in {other}[:limit]:",
        f"        if {arg}.get('{rng.choice(_NOUNS)}') is None:",
        "            continue",
        f"        result.append({arg}['{rng.choice(_NOUNS)}'] * {rng.randint(1, 9)})",
        "    return result",
    ]
    return "\n".join(body) + "\n"


def _js_function(rng: random.Random, name: str) -> str:
    camel = "".join(p.capitalize() if i else p for i, p in enumerate(name.split("_")))
    return (
        f"export function {camel}(items, limit = {rng.randint(2, 50)}) {{\n"
        f"  return items.slice(0, limit).filter((x) => x.{rng.choice(_NOUNS)} != null)\n"
        f"    .map((x) => x.{rng.choice(_NOUNS)} * {rng.randint(1, 9)});\n}}\n"
    )


def conversation(rng: random.Random, index: int) -> dict[str, Any]:
    lang = rng.choices(["python", "javascript", "sql", "shell"], [0.65, 0.2, 0.1, 0.05])[0]
    ext = {"python": "py", "javascript": "js", "sql": "sql", "shell": "sh"}[lang]
    package = rng.choice(["app", "src", "lib"])
    module = f"{package}/{rng.choice(_NOUNS)}_{rng.choice(_NOUNS)}.{ext}"
    fn = _ident(rng)
    funcs = [_ident(rng) for _ in range(rng.randint(0, 2))] + [fn]
    make = _js_function if lang == "javascript" else _py_function
    source = "\n\n".join(make(rng, f) for f in funcs)
    fixed = source.replace("limit=", "limit=1 + ").replace("limit = ", "limit = 1 + ")
    kind = rng.choice(["bug_fix", "feature", "refactor", "tests", "data", "explanation"])
    user = (
        f"`{fn}` in `{module}` {rng.choice(_SYMPTOMS)} "
        f"{rng.choice(_NOUNS)} when {_sentence(rng, rng.randint(6, 14)).lower()} "
        f"It should keep every {rng.choice(_NOUNS)}. Please fix it without changing the API."
    )
    tools = rng.sample(list(_TOOLS), rng.randint(3, 5))
    for required in ("read_file", "write_file", "run_tests"):
        if required not in tools:
            tools.append(required)
    msgs: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a coding agent working in a repository."},
        {"role": "user", "content": user},
    ]
    calls = [
        ("search", {"pattern": fn}, f"{module}:{rng.randint(1, 40)}:def {fn}(...)"),
        ("read_file", {"path": module}, source),
        ("write_file", {"path": module, "content": fixed}, f"Wrote {module} ({len(fixed)} bytes)"),
        (
            "run_tests",
            {"path": "tests", "extra_args": ["-q"]},
            f"{rng.randint(3, 30)} passed in 0.{rng.randint(10, 99)}s",
        ),
    ]
    for k, (name, args, result) in enumerate(calls):
        if name not in tools:
            continue
        cid = f"call_{index}_{k}"
        msgs.append(
            {
                "role": "assistant",
                "reasoning_content": f"{_sentence(rng, rng.randint(8, 20))} Next I use {name} on "
                f"`{args.get('path', args.get('pattern', ''))}` to check `{fn}`.",
                "content": None,
                "tool_calls": [
                    {
                        "id": cid,
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(args)},
                    }
                ],
            }
        )
        msgs.append({"role": "tool", "tool_call_id": cid, "name": name, "content": result})
    fence = {"python": "python", "javascript": "javascript", "sql": "sql", "shell": "bash"}[lang]
    msgs.append(
        {
            "role": "assistant",
            "reasoning_content": f"The slice in `{fn}` stopped one short. {_sentence(rng, 12)}",
            "content": f"Fixed `{fn}` in `{module}`: {_sentence(rng, rng.randint(10, 25))}\n\n"
            f"```{fence}\n{fixed}```\n\nThe tests pass.",
        }
    )
    line: dict[str, Any] = {
        "schema_version": 1,
        "id": f"bench-{index:06d}",
        "task": {
            "category": kind,
            "language": lang,
            "difficulty": rng.choice(["easy", "medium"]),
            "summary": f"Fix {fn} in {module}",
        },
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": t,
                    "description": f"{t.replace('_', ' ').capitalize()} in the repository.",
                    "parameters": {
                        "type": "object",
                        "properties": _TOOLS[t][0],
                        "required": _TOOLS[t][1],
                        "additionalProperties": False,
                    },
                },
            }
            for t in tools
        ],
        "messages": msgs,
        "metadata": {"generator": "bench.scoring"},
    }
    if lang == "python" and rng.random() < 0.7:
        mod = module[:-3].replace("/", ".")
        line["verification"] = {
            "kind": "command",
            "files": {
                module: fixed,
                "tests/test_fix.py": f"from {mod} import {fn}\n\n\ndef test_keeps_all():\n"
                f"    assert {fn}([], limit=3) == []\n",
            },
            "command": ["python", "-m", "pytest", "-q"],
            "timeout_s": 30,
            "solution_files": [module],
        }
    return line


def write_dataset(path: Path, target_bytes: int, conversations: int, seed: int = 11) -> int:
    rng = random.Random(seed)
    written = index = 0
    with path.open("w", encoding="utf-8") as out:
        while written < target_bytes or index < conversations:
            text = json.dumps(conversation(rng, index)) + "\n"
            out.write(text)
            written += len(text.encode())
            index += 1
    return index


# --------------------------------------------------------------------------- phases


def _rss_mb() -> float:
    """Peak RSS of this process so far, in MiB.

    VmHWM (Linux) is the high-water mark of this process image only; ru_maxrss can carry
    the parent's peak across fork+exec, which would blame the parent's memory on a phase.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_phase(phase: str, jsonl: Path, parquet: Path, lines: int) -> dict[str, Any]:
    if phase == "json_loads":
        rss_before = _rss_mb()
        start = time.perf_counter()
        with jsonl.open("rb") as stream:
            for raw in stream:
                json.loads(raw)
        seconds = time.perf_counter() - start
        return {
            "phase": phase,
            "seconds": round(seconds, 3),
            "rss_after_imports_mb": round(rss_before, 1),
            "peak_rss_mb": round(_rss_mb(), 1),
        }
    from dfab.dataset.parquet import read_conversations
    from dfab.scoring.signal import DatasetFacts, ScoringInput
    from dfab.scoring.standalone import score_input
    from dfab.settings import Settings

    rss_before = _rss_mb()
    data = ScoringInput(
        facts=DatasetFacts(lines, lines, 0, lines),
        settings=Settings(),
        conversations=lambda: read_conversations(parquet),
        submission_id="bench",
        parquet=parquet,
    )
    start = time.perf_counter()
    report = score_input(data)
    seconds = time.perf_counter() - start
    store = data.cache["store"]
    return {
        "phase": phase,
        "seconds": round(seconds, 3),
        "score": report.score,
        "conversations": store.n,
        "analysed_in_full": len(store.analysed),
        "rss_after_imports_mb": round(rss_before, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scoring")
    parser.add_argument("--mb", type=float, default=100.0, help="dataset size to generate")
    parser.add_argument("--conversations", type=int, default=20_000, help="at least this many")
    parser.add_argument("--keep", action="store_true", help="reuse an existing dataset")
    parser.add_argument("--repeat", type=int, default=3, help="runs per phase (best counts)")
    parser.add_argument("--phase", choices=("json_loads", "score"), help=argparse.SUPPRESS)
    parser.add_argument("--lines", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    DATA_DIR.mkdir(exist_ok=True)
    jsonl = DATA_DIR / f"scoring-{int(args.mb)}mb.jsonl"
    parquet = jsonl.with_suffix(".parquet")
    if args.phase:
        print(json.dumps(run_phase(args.phase, jsonl, parquet, args.lines)))
        return 0

    gen_s = 0.0
    if not (args.keep and jsonl.exists() and parquet.exists()):
        from dfab.contracts.dataset import DatasetLimits
        from dfab.dataset.ingest import ingest_jsonl

        start = time.perf_counter()
        write_dataset(jsonl, int(args.mb * 1024 * 1024), args.conversations)
        ingest_jsonl(jsonl, parquet, DatasetLimits(), 50)
        gen_s = time.perf_counter() - start
    size_mb = jsonl.stat().st_size / (1024 * 1024)
    lines = sum(1 for _ in jsonl.open("rb"))
    runs: dict[str, list[dict[str, Any]]] = {"json_loads": [], "score": []}
    for _ in range(args.repeat):  # interleaved, so a busy machine slows both alike
        for phase in runs:
            proc = subprocess.run(
                [*CHILD, "--phase", phase, f"--mb={args.mb}", f"--lines={lines}"],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )
            runs[phase].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    results: dict[str, Any] = {}
    for phase, done in runs.items():
        best = dict(min(done, key=lambda r: r["seconds"]))
        best["runs_seconds"] = [r["seconds"] for r in done]
        best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in done)
        results[phase] = best
    base = results["json_loads"]["seconds"]
    for res in results.values():
        res["mb_per_s"] = round(size_mb / res["seconds"], 1)
        res["ratio_vs_json_loads"] = round(res["seconds"] / base, 2)
    report = {
        "bench": "scoring",
        "python": sys.version.split()[0],
        "rss_measure": "peak RSS (VmHWM, else getrusage ru_maxrss) of each phase's own process",
        "dataset": {
            "path": str(jsonl),
            "mb": round(size_mb, 1),
            "lines": lines,
            "avg_line_kb": round(size_mb * 1024 / lines, 2),
            "parquet_mb": round(parquet.stat().st_size / (1024 * 1024), 1),
            "generate_and_parse_seconds": round(gen_s, 1),
        },
        "results": results,
        "target": {"ratio_vs_json_loads": 5.0, "peak_rss_mb": 1024},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
