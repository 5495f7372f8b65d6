"""Assembles the dataset: picks a family per line, drafts, executes, checks, writes.

Every line gets its own RNG seeded from `(seed, index, attempt)`, so lines are independent
and the whole file is a pure function of the seed. Families are dealt from a shuffled deck
(each family `weight` times per round) so even a small dataset covers most of them.
If a real test run contradicts the narrative (a harness bug), the line is redrafted with
the next attempt number instead of being written with a false story.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from fabricator import HARNESS_NAME
from fabricator.convo import Ctx, Draft
from fabricator.execution import ExecutionError, RunResult, mismatch, run_all
from fabricator.families import FAMILIES, Family

MAX_ROUNDS = 4
CHUNK = 250  # lines drafted, executed and written together


class GenerationError(Exception):
    """The dataset could not be produced; the message says why."""


def family_order(seed: int, count: int) -> list[Family]:
    """The family of each line: weighted draws, never the same family twice in a row."""
    rng = random.Random(f"order:{seed}")
    weights = [f.weight * (2 if f.language == "python" else 1) for f in FAMILIES]
    order: list[Family] = []
    while len(order) < count:
        pick = rng.choices(FAMILIES, weights=weights, k=1)[0]
        if order and order[-1].name == pick.name and len(FAMILIES) > 1:
            continue
        order.append(pick)
    return order


def line_id(seed: int, index: int) -> str:
    return f"exh-{seed}-{index:05d}"


def draft_line(family: Family, seed: int, index: int, attempt: int) -> Draft:
    ctx = Ctx(random.Random(f"line:{seed}:{index}:{attempt}"), seed, index, attempt)
    return family.build(ctx)


def finalize(draft: Draft, results: dict[str, RunResult], seed: int, index: int) -> dict[str, Any]:
    """Swap run tokens for real output and produce the contract's line object."""
    subst: dict[str, str] = {}
    for run in draft.runs:
        res = results[run.key]
        subst[run.output] = res.output
        subst[run.exit_code] = str(res.exit_code)
        subst[run.summary] = res.summary
    for msg in draft.messages:
        content = msg.get("content")
        if isinstance(content, str) and "<<RUN " in content:
            for token, value in subst.items():
                content = content.replace(token, value)
            msg["content"] = content
    meta = dict(draft.metadata)
    meta["executed_test_runs"] = len(draft.runs)
    line: dict[str, Any] = {
        "schema_version": 1,
        "id": line_id(seed, index),
        "task": draft.task,
        "tools": draft.tools,
        "messages": draft.messages,
    }
    if draft.verification is not None:
        line["verification"] = draft.verification
    line["metadata"] = meta
    encoded = json.dumps(line, ensure_ascii=False)
    if "<<RUN " in encoded:
        raise GenerationError(f"line {index}: an unresolved test-run token remains")
    return line


def _warn(message: str) -> None:
    print(f"{HARNESS_NAME}: warning: {message}", file=sys.stderr)


def generate_lines(
    order: list[Family], indices: range, seed: int, work_dir: Path
) -> list[dict[str, Any]]:
    """The lines at `indices` (each depends only on seed, index and attempt), in order."""
    attempts = dict.fromkeys(indices, 0)
    done: dict[int, dict[str, Any]] = {}
    pending = list(indices)
    for round_no in range(MAX_ROUNDS):
        drafts: dict[int, Draft] = {}
        for i in pending:
            try:
                drafts[i] = draft_line(order[i], seed, i, attempts[i])
            except Exception as exc:  # a scenario bug: redraft with other parameters
                _warn(f"line {i} ({order[i].name}) failed to draft: {type(exc).__name__}: {exc}")
                attempts[i] += 1
        runs = [r for d in drafts.values() for r in d.runs]
        try:
            results = run_all(runs, work_dir, f"{indices.start}-{round_no}")
        except ExecutionError as exc:
            raise GenerationError(f"could not run the generated tests: {exc}") from exc
        for i, d in drafts.items():
            problems = [p for r in d.runs if (p := mismatch(r, results[r.key]))]
            if problems:
                _warn(f"line {i} ({d.family}) redrafted: {problems[0]}")
                attempts[i] += 1
                continue
            done[i] = finalize(d, results, seed, i)
        pending = [i for i in indices if i not in done]
        if not pending:
            break
    if pending:
        raise GenerationError(
            f"{len(pending)} lines still inconsistent after {MAX_ROUNDS} rounds "
            f"(first: line {pending[0]}, family {order[pending[0]].name})"
        )
    return [done[i] for i in indices]


def write_dataset(output: Path, count: int, seed: int, work_dir: Path) -> str:
    """Generate and write the JSONL file chunk by chunk (bounded memory for any count).

    Returns a one-line summary for stderr. On failure no partial output is left behind.
    """
    order = family_order(seed, count)
    families: Counter[str] = Counter()
    verified = runs = 0
    try:
        with output.open("w", encoding="utf-8", newline="\n") as fh:
            for start in range(0, count, CHUNK):
                chunk = generate_lines(
                    order, range(start, min(count, start + CHUNK)), seed, work_dir
                )
                for line in chunk:
                    fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                    families[line["metadata"]["family"]] += 1
                    verified += "verification" in line
                    runs += line["metadata"]["executed_test_runs"]
    except OSError as exc:
        output.unlink(missing_ok=True)
        raise GenerationError(f"cannot write {output}: {exc.strerror}") from exc
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    return f"{len(families)} families, {verified} with verification, {runs} real pytest runs"
