"""Agent-run shapes: how a scenario becomes a multi-step, tool-using conversation.

A scenario states *what* (files before and after, tests, the diagnosis, the answer); a
flow decides *how* the agent gets there: whether it explores first, reproduces the bug
with a failing test before fixing it, makes a first attempt that still fails, reads files
in parallel calls, and which toolset it drives. Python flows queue real pytest runs and
attach a `verification` block whose tests were seen failing on the original code.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

from fabricator import HARNESS_NAME, HARNESS_VERSION
from fabricator import text as tx
from fabricator.convo import Convo, Ctx, Draft, PendingRun
from fabricator.tools import TOOLSETS, Ops, Toolset
from fabricator.workspace import Workspace, edit_region

VERIFY_COMMAND = ["python", "-m", "pytest", "-q"]
VERIFY_TIMEOUT_S = 30


# --------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class PyLayout:
    """Where a scenario's module and tests live, and how the tests import the module."""

    module: str
    imp: str
    test_path: str
    init: str | None

    @property
    def modname(self) -> str:
        return self.imp.rsplit(".", 1)[-1]


def py_layout(ctx: Ctx, pkg: str, modname: str) -> PyLayout:
    """Flat, package or `app/` layout; never a module name that shadows the stdlib."""
    if modname in sys.stdlib_module_names or pkg in sys.stdlib_module_names:
        modname += "_utils"
    style = ctx.rng.randrange(3)
    if style == 0:
        return PyLayout(f"{modname}.py", modname, f"test_{modname}.py", None)
    root = pkg if style == 1 else "app"
    return PyLayout(
        f"{root}/{modname}.py",
        f"{root}.{modname}",
        f"tests/test_{modname}.py",
        f"{root}/__init__.py",
    )


def py_project_files(repo: str, layout: PyLayout, blurb: str) -> dict[str, str]:
    """Decor files a real Python repository has; read or listed, never executed."""
    files = {
        "README.md": f"# {repo}\n\n{blurb}\n\n## Development\n\n```\npip install -e .[dev]\n"
        "python -m pytest -q\n```\n",
        "pyproject.toml": f'[project]\nname = "{repo}"\nversion = "0.4.2"\n'
        'requires-python = ">=3.11"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n',
        ".gitignore": "__pycache__/\n.venv/\n*.egg-info/\n.pytest_cache/\n",
    }
    if layout.init:
        files[layout.init] = f'"""{blurb}"""\n'
    return files


def solution_visible(messages: list[dict[str, Any]], content: str) -> bool:
    """The contract's solution-file rule (CONTRACTS.md §3), checked before a line is emitted."""
    needle = _normalize(content)
    for msg in messages:
        if msg["role"] != "assistant":
            continue
        if msg.get("content") and needle in _normalize(msg["content"]):
            return True
        for call in msg.get("tool_calls") or []:
            for value in json.loads(call["function"]["arguments"]).values():
                if isinstance(value, str) and needle in _normalize(value):
                    return True
    return False


def _normalize(text: str) -> str:
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _metadata(ctx: Ctx, family: str, variant: str, ops: Ops, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "generator": f"{HARNESS_NAME}/{HARNESS_VERSION}",
        "family": family,
        "variant": variant,
        "toolset": ops.name,
        "seed": ctx.seed,
        "index": ctx.index,
    }
    meta.update(extra)
    return meta


def _toolset(ctx: Ctx, allowed: tuple[str, ...] | None = None) -> Toolset:
    options = [t for t in TOOLSETS if allowed is None or t.name in allowed]
    return ctx.pick(options)


def _say(ctx: Ctx, options: tuple[str, ...], p: float = 0.3) -> str | None:
    """Occasional short narration an assistant gives alongside its tool calls."""
    return ctx.pick(options) if ctx.chance(p) else None


# --------------------------------------------------------------------------- python fix


@dataclass
class PyTask:
    """A Python change verified by pytest: bug fix, feature, refactor, review, debugging."""

    family: str
    variant: str
    category: str
    difficulty: str
    summary: str
    repo: str
    layout: PyLayout
    before: str | None
    after: str
    tests: str
    user: str
    diagnosis: str
    plan: str
    explanation: str
    must_fail: tuple[str, ...]
    tests_before: str | None = None
    partial: str | None = None
    partial_fail: tuple[str, ...] = ()
    partial_note: str = ""
    context: dict[str, str] = field(default_factory=dict)
    fixtures: dict[str, str] = field(default_factory=dict)
    reads: tuple[str, ...] = ()
    symbol: str = ""
    fail_note: str = ""
    blurb: str = "Internal service code."


def _explore(ctx: Ctx, c: Convo, ops: Ops, symbol: str, suffix: str) -> None:
    roll = ctx.rng.random()
    if roll < 0.35:
        c.act(tx.pick(ctx, tx.EXPLORE), [ops.ls()])
    elif roll < 0.75 and symbol:
        c.act(tx.pick(ctx, tx.SEARCH, sym=symbol), [ops.search(symbol, suffix)])


def _read_step(ctx: Ctx, c: Convo, ops: Ops, paths: list[str]) -> None:
    if not paths:
        return
    if len(paths) > 1 and ctx.chance(0.6):
        c.act(tx.pick(ctx, tx.READ_BOTH), [ops.read(p) for p in paths])
        return
    for p in paths:
        c.act(tx.pick(ctx, tx.READ, path=p), [ops.read(p)])


def _code_for_answer(ctx: Ctx, ops: Ops, path: str, before: str | None, after: str) -> str:
    """Full file, or when the change travelled whole in a write call, sometimes the hunk."""
    if before and ops.writes_whole_files() and tx.code_lines(after) > 30 and ctx.chance(0.5):
        _, new = edit_region(before, after)
        return f"Key part of `{path}`:\n\n" + tx.fence("python", new)
    return f"`{path}`:\n\n" + tx.fence("python", after)


def _reproduce_bank(category: str) -> tuple[str, ...]:
    if category == "code_review":
        return tx.REVIEW_TESTS
    if category in ("bug_fix", "debugging"):
        return tx.REPRODUCE
    return tx.TDD


def python_fix_flow(ctx: Ctx, t: PyTask) -> Draft:
    """Explore, read, (reproduce), fix (maybe in two attempts), verify, answer."""
    ops = Ops(_toolset(ctx), Workspace(dict(t.context)), ctx.rng.randrange(6))
    ws, lay = ops.ws, t.layout
    for path, content in py_project_files(t.repo, lay, t.blurb).items():
        ws.write(path, content, runnable=path == lay.init)
    for path, content in t.fixtures.items():
        ws.write(path, content, runnable=True)
    if t.before is not None:
        ws.write(lay.module, t.before, runnable=True)
    if t.tests_before is not None:
        ws.write(lay.test_path, t.tests_before, runnable=True)

    c = Convo(ctx)
    c.system(tx.pick(ctx, tx.SYSTEM_PROMPTS, repo=t.repo))
    c.user(ctx.pick(tx.OPENERS) + t.user)
    _explore(ctx, c, ops, t.symbol, ".py")
    reads = [lay.module] if t.before is not None else []
    if t.tests_before is not None and ctx.chance(0.7):
        reads.append(lay.test_path)
    reads.extend(t.reads)
    _read_step(ctx, c, ops, reads)

    target = lay.test_path if ctx.chance(0.5) else None
    runs: list[PendingRun] = []
    bug_like = t.category in ("bug_fix", "debugging", "code_review")
    reproduce = t.before is not None and ctx.chance(0.65 if bug_like else 0.35)
    if reproduce:
        c.act(
            tx.join(t.diagnosis, tx.pick(ctx, _reproduce_bank(t.category))),
            [ops.put(lay.test_path, t.tests, runnable=True)],
            _say(ctx, ("Reproducing the problem with a test first.", "Adding regression tests.")),
        )
        red = ctx.run(ws.snapshot(), expect_pass=False, must_fail=t.must_fail)
        runs.append(red)
        c.act("Running the new tests against the unchanged code.", [ops.pytest(red, target)])
    elif t.before is not None:
        # Not shown in the conversation, but it proves the tests catch the original code.
        hidden = dict(ws.snapshot())
        hidden[lay.test_path] = t.tests
        ctx.run(hidden, expect_pass=False, must_fail=t.must_fail, visible=False)

    attempts = [t.partial, t.after] if t.partial and ctx.chance(0.5) else [t.after]
    for i, code in enumerate(attempts):
        assert code is not None
        last = i == len(attempts) - 1
        if i == 0:
            seen = tx.SEEN_FAIL if bug_like else tx.SEEN_FAIL_TDD
            lead = tx.sentence_join(tx.pick(ctx, seen), t.fail_note) if reproduce else ""
            reasoning = tx.join(lead, t.plan) if reproduce else tx.join(t.diagnosis, t.plan)
        else:
            reasoning = t.partial_note
        calls = [ops.put(lay.module, code, runnable=True)]
        if not reproduce and i == 0:
            calls.append(ops.put(lay.test_path, t.tests, runnable=True))
            if not ctx.chance(0.5):
                reasoning = tx.join(reasoning, tx.pick(ctx, tx.FIX_AND_TEST))
        c.act(reasoning, calls, _say(ctx, ("Applying the fix.", "Updating the module now.")))
        run = ctx.run(
            ws.snapshot(),
            expect_pass=last,
            must_fail=() if last else t.partial_fail,
        )
        runs.append(run)
        c.act(tx.pick(ctx, tx.VERIFY), [ops.pytest(run, target)])

    final_run = runs[-1]
    proof = (
        f"The new tests failed on the original code and now pass: {final_run.summary}."
        if reproduce
        else f"Test run: `python -m pytest -q` -> {final_run.summary}."
    )
    answer = tx.join(
        t.explanation,
        _code_for_answer(ctx, ops, lay.module, t.before, t.after),
        f"Tests live in `{lay.test_path}`. {proof}",
    )
    if not solution_visible([*c.messages, {"role": "assistant", "content": answer}], t.after):
        answer = tx.join(answer, f"Full `{lay.module}`:\n\n" + tx.fence("python", t.after))
    c.final(tx.pick(ctx, tx.DONE), answer)

    files = ws.snapshot()
    buggy = t.before if t.before is not None else t.partial
    extra: dict[str, Any] = {"layout": lay.module, "reproduced_first": reproduce}
    if buggy is not None:
        extra["buggy_files"] = {lay.module: buggy}
    return Draft(
        family=t.family,
        task={
            "category": t.category,
            "language": "python",
            "difficulty": t.difficulty,
            "summary": t.summary,
        },
        tools=ops.ts.specs(),
        messages=c.messages,
        verification={
            "kind": "command",
            "files": files,
            "command": list(VERIFY_COMMAND),
            "timeout_s": VERIFY_TIMEOUT_S,
            "expect_exit_code": 0,
            "solution_files": [lay.module],
        },
        metadata=_metadata(ctx, t.family, t.variant, ops, **extra),
        runs=ctx.runs,
    )


# --------------------------------------------------------------------------- python tests


@dataclass
class PyTestsTask:
    """Write tests for existing code; the tests are the solution, a mutant must fail them."""

    family: str
    variant: str
    difficulty: str
    summary: str
    repo: str
    layout: PyLayout
    module_code: str
    mutant: str
    tests: str
    user: str
    notes: str
    explanation: str
    wrong_tests: str | None = None
    wrong_fail: tuple[str, ...] = ()
    wrong_note: str = ""
    symbol: str = ""
    blurb: str = "Internal library code."


def python_tests_flow(ctx: Ctx, t: PyTestsTask) -> Draft:
    """Read the module, write tests, run them (maybe fixing a wrong expectation), answer."""
    ops = Ops(_toolset(ctx), Workspace({}), ctx.rng.randrange(6))
    ws, lay = ops.ws, t.layout
    for path, content in py_project_files(t.repo, lay, t.blurb).items():
        ws.write(path, content, runnable=path == lay.init)
    ws.write(lay.module, t.module_code, runnable=True)
    c = Convo(ctx)
    c.system(tx.pick(ctx, tx.SYSTEM_PROMPTS, repo=t.repo))
    c.user(ctx.pick(tx.OPENERS) + t.user)
    _explore(ctx, c, ops, t.symbol, ".py")
    _read_step(ctx, c, ops, [lay.module])
    target = lay.test_path if ctx.chance(0.5) else None
    attempts = [t.wrong_tests, t.tests] if t.wrong_tests and ctx.chance(0.45) else [t.tests]
    last_run: PendingRun | None = None
    for i, tests in enumerate(attempts):
        assert tests is not None
        last = i == len(attempts) - 1
        reasoning = t.notes if i == 0 else t.wrong_note
        c.act(reasoning, [ops.put(lay.test_path, tests, runnable=True)])
        last_run = ctx.run(ws.snapshot(), expect_pass=last, must_fail=() if last else t.wrong_fail)
        c.act(tx.pick(ctx, tx.VERIFY), [ops.pytest(last_run, target)])
    assert last_run is not None
    mutant_files = dict(ws.snapshot())
    mutant_files[lay.module] = t.mutant
    ctx.run(mutant_files, expect_pass=False, visible=False)
    answer = tx.join(
        t.explanation,
        f"`{lay.test_path}`:\n\n" + tx.fence("python", t.tests),
        f"Result: {last_run.summary}.",
    )
    c.final(tx.pick(ctx, tx.DONE), answer)
    return Draft(
        family=t.family,
        task={
            "category": "tests",
            "language": "python",
            "difficulty": t.difficulty,
            "summary": t.summary,
        },
        tools=ops.ts.specs(),
        messages=c.messages,
        verification={
            "kind": "command",
            "files": ws.snapshot(),
            "command": list(VERIFY_COMMAND),
            "timeout_s": VERIFY_TIMEOUT_S,
            "expect_exit_code": 0,
            "solution_files": [lay.test_path],
        },
        metadata=_metadata(
            ctx, t.family, t.variant, ops, layout=lay.module, buggy_files={lay.module: t.mutant}
        ),
        runs=ctx.runs,
    )


# --------------------------------------------------------------------------- other languages


@dataclass
class Cmd:
    """A command the agent runs and the output the scenario says it prints."""

    command: str
    output: str
    exit_code: int = 0


@dataclass
class GenTask:
    """A change in any language, checked by commands whose output the scenario supplies."""

    family: str
    variant: str
    category: str
    language: str | list[str]
    difficulty: str
    summary: str
    repo: str
    files: dict[str, str]
    changes: list[tuple[str, str]]
    user: str
    diagnosis: str
    explanation: str
    fence_lang: str
    reads: tuple[str, ...] = ()
    symbol: str = ""
    search_suffix: str | None = None
    reproduce: Cmd | None = None
    verify: tuple[Cmd, ...] = ()
    first_try: tuple[str, str] | None = None
    first_try_check: Cmd | None = None
    first_try_note: str = ""
    show: tuple[str, ...] = ()


def generic_flow(ctx: Ctx, t: GenTask) -> Draft:
    """Explore, read, reproduce with a command, change files, re-run checks, answer."""
    ops = Ops(_toolset(ctx), Workspace(dict(t.files)), ctx.rng.randrange(6))
    c = Convo(ctx)
    c.system(tx.pick(ctx, tx.SYSTEM_PROMPTS, repo=t.repo))
    c.user(ctx.pick(tx.OPENERS) + t.user)
    _explore(ctx, c, ops, t.symbol, t.search_suffix or "")
    _read_step(ctx, c, ops, list(t.reads))
    if t.reproduce is not None:
        rep = t.reproduce
        c.act(
            tx.pick(ctx, tx.REPRODUCE_CMD),
            [ops.command(rep.command, rep.output, rep.exit_code)],
        )
    reasoning = t.diagnosis
    if t.first_try is not None and t.first_try_check is not None and ctx.chance(0.5):
        path, content = t.first_try
        c.act(reasoning, [ops.put(path, content)])
        chk = t.first_try_check
        c.act(tx.pick(ctx, tx.CHECK), [ops.command(chk.command, chk.output, chk.exit_code)])
        reasoning = t.first_try_note
    pending = [(p, body) for p, body in t.changes if ops.ws.files.get(p) != body]
    if len(pending) > 1 and ctx.chance(0.5):
        c.act(reasoning, [ops.put(p, body) for p, body in pending])
    else:
        for i, (p, body) in enumerate(pending):
            c.act(reasoning if i == 0 else f"Next, `{p}`.", [ops.put(p, body)])
    for i, chk in enumerate(t.verify):
        say = tx.pick(ctx, tx.CHECK) if i == 0 else "And the remaining check."
        c.act(say, [ops.command(chk.command, chk.output, chk.exit_code)])
    shown = t.show or (t.changes[0][0],)
    blocks = [
        f"`{p}`:\n\n" + tx.fence(t.fence_lang if i == 0 else _fence_for(p), dict(t.changes)[p])
        for i, p in enumerate(shown)
    ]
    c.final(tx.pick(ctx, tx.DONE_GENERIC), tx.join(t.explanation, *blocks))
    return Draft(
        family=t.family,
        task={
            "category": t.category,
            "language": t.language,
            "difficulty": t.difficulty,
            "summary": t.summary,
        },
        tools=ops.ts.specs(),
        messages=c.messages,
        verification=None,
        metadata=_metadata(ctx, t.family, t.variant, ops),
        runs=ctx.runs,
    )


_FENCES = {
    ".py": "python",
    ".js": "javascript",
    ".ts": "typescript",
    ".tsx": "tsx",
    ".sh": "bash",
    ".sql": "sql",
    ".go": "go",
    ".rs": "rust",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".json": "json",
    ".toml": "toml",
}


def _fence_for(path: str) -> str:
    for suffix, lang in _FENCES.items():
        if path.endswith(suffix):
            return lang
    if path.endswith("Dockerfile"):
        return "dockerfile"
    return ""


@dataclass
class ExplainTask:
    """A question about existing code, answered from what the agent read (and ran)."""

    family: str
    variant: str
    language: str | list[str]
    difficulty: str
    summary: str
    repo: str
    files: dict[str, str]
    reads: tuple[str, ...]
    user: str
    notes: str
    answer: str
    symbol: str = ""
    search_suffix: str | None = None
    run: Cmd | None = None
    run_note: str = ""
    category: str = "explanation"


def explain_flow(ctx: Ctx, t: ExplainTask) -> Draft:
    """Look around, read, maybe run something to confirm, then explain."""
    ops = Ops(_toolset(ctx), Workspace(dict(t.files)), ctx.rng.randrange(6))
    c = Convo(ctx)
    c.system(tx.pick(ctx, tx.SYSTEM_PROMPTS, repo=t.repo))
    c.user(ctx.pick(tx.OPENERS) + t.user)
    _explore(ctx, c, ops, t.symbol, t.search_suffix or "")
    _read_step(ctx, c, ops, list(t.reads))
    if t.run is not None:
        c.act(t.notes, [ops.command(t.run.command, t.run.output, t.run.exit_code)])
        c.final(t.run_note or "The output confirms the reading; writing the explanation.", t.answer)
    else:
        c.final(t.notes, t.answer)
    return Draft(
        family=t.family,
        task={
            "category": t.category,
            "language": t.language,
            "difficulty": t.difficulty,
            "summary": t.summary,
        },
        tools=ops.ts.specs(),
        messages=c.messages,
        verification=None,
        metadata=_metadata(ctx, t.family, t.variant, ops),
        runs=ctx.runs,
    )
