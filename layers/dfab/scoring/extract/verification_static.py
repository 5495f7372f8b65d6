"""Static checks of a `verification` block: would passing it prove anything?

A block passes in the sandbox when its command exits as expected. That is cheap to
satisfy with `assert True`, with tests that never import the delivered code, or with a
`conftest.py` that rewrites outcomes. These checks read the block's files without
running them (Python with `ast`, other languages lexically) and call a block meaningful
only when some test that the command really runs makes a non-trivial assertion and
exercises a solution file.
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

#: pytest hooks that can change collection or outcomes: a verification has no use for them.
_RIGGING_HOOKS = frozenset(
    {
        "pytest_runtest_makereport",
        "pytest_runtest_call",
        "pytest_runtest_protocol",
        "pytest_collection_modifyitems",
        "pytest_sessionfinish",
        "pytest_pycollect_makeitem",
        "pytest_collect_file",
        "pytest_ignore_collect",
        "pytest_collection",
        "pytest_runtestloop",
        "pytest_report_teststatus",
        "pytest_deselected",
    }
)
#: pytest options that change what runs: collection only, deselection, plugins, configs.
_RIGGING_OPTIONS = (
    "--co",
    "--collect-only",
    "--deselect",
    "--ignore",
    "--ignore-glob",
    "-p",
    "--lf",
    "--last-failed",
    "-k",
    "-m",
    "-c",
    "--config-file",
    "-o",
    "--override-ini",
    "--pyargs",
    "--sw",
    "--stepwise",
)
#: Top-level module names a block must not shadow: the test runner imports them first.
#: Options whose next argument is a value, not a test path.
_PYTEST_VALUE_OPTIONS = frozenset(
    {
        "-p",
        "-o",
        "-k",
        "-m",
        "-c",
        "-r",
        "-W",
        "--rootdir",
        "--basetemp",
        "--tb",
        "--maxfail",
        "--durations",
        "--junitxml",
        "--log-level",
        "--override-ini",
        "--confcutdir",
        "--import-mode",
        "--timeout",
    }
)
_UNITTEST_VALUE_OPTIONS = frozenset({"-p", "--pattern", "-k"})
_SHADOWED = frozenset(
    {
        "pytest",
        "_pytest",
        "py",
        "pluggy",
        "iniconfig",
        "unittest",
        "sitecustomize",
        "usercustomize",
        "site",
        "runpy",
        "importlib",
        "encodings",
        "os",
        "sys",
        "io",
        "abc",
        "codecs",
        "re",
        "json",
        "subprocess",
        "signal",
        "atexit",
        "traceback",
        "inspect",
        "argparse",
        "warnings",
        "types",
        "functools",
        "collections",
        "enum",
        "pathlib",
    }
)
_CONFIG_FILES = frozenset({"pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml"})
_ASSERT_CALL = re.compile(r"^(assert|fail)|^(raises|warns|approx)$", re.I)
_PY_TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test)\.py$")
_SCRIPT_CAP = 200_000
#: Most Python files of one block that are parsed (bounded work per conversation).
_MAX_FILES = 12

# Other languages: what a test file that checks something looks like.
_OTHER_ASSERT = re.compile(
    r"\b(assert\w*!?|expect|t\.(Error|Errorf|Fatal|Fatalf|Fail)|should|strictEqual|deepEqual"
    r"|toBe|toEqual|ok|equal|throws|require\.\w+)\s*\(|\[\[?\s+[^\n\]]{1,200}\s\]\]?"
    r"|\btest\s+-[a-z]\b"
)
_CONSTANT_ASSERT = re.compile(
    r"\b(assert\w*!?|expect|ok)\s*\(\s*(true|1|!0|\"[^\"]*\"|'[^']*')\s*\)"
    r"(\s*\.\s*(toBe|toEqual)\s*\(\s*(true|1)\s*\))?"
    r"|\bassert_eq!\s*\(\s*(\d+|true|false)\s*,\s*\6\s*\)"
)
_DEFINED_NAME = re.compile(
    r"\b(?:function|func|fn|def|class|struct|enum|trait|interface|type|const|let|var"
    r"|export\s+(?:default\s+)?(?:function|class|const))\s+\*?\s*(?:\([^)]*\)\s*)?([A-Za-z_]\w{2,})"
)
_INLINE_TESTS = re.compile(r"#\[(cfg\()?test\)?\]|\bfunc Test\w*\(|\b(describe|it|test)\(")
_RUNNERS = frozenset(
    {
        "pytest",
        "py.test",
        "node",
        "npm",
        "npx",
        "yarn",
        "pnpm",
        "jest",
        "vitest",
        "mocha",
        "go",
        "cargo",
        "bash",
        "sh",
        "make",
        "deno",
        "bun",
        "ruby",
        "rspec",
        "java",
        "mvn",
        "gradle",
        "dotnet",
        "php",
        "phpunit",
        "tsc",
        "ts-node",
        "tsx",
    }
)
_TRIVIAL_PROGRAMS = frozenset({"true", ":", "echo", "exit", "printf", "test", "["})


@dataclass(frozen=True, slots=True)
class StaticVerdict:
    """Whether a block can prove anything, and why (or why not)."""

    meaningful: bool
    reason: str
    tests: int = 0  # test units found that exercise a solution file

    @property
    def red_flag(self) -> bool:
        """A block that exists but cannot fail for a wrong answer: a fake claim."""
        return not self.meaningful


def _program(argv: list[str]) -> str:
    return PurePosixPath(argv[0]).name.lower() if argv else ""


def _is_python(prog: str) -> bool:
    return prog.startswith("python") or prog in ("pytest", "py.test", "py")


def _module_names(path: str) -> set[str]:
    """Names under which a test could import the Python file at `path`."""
    p = PurePosixPath(path)
    if p.suffix != ".py":
        return set()
    parts = list(p.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    names = {".".join(parts[i:]) for i in range(len(parts))}
    for prefix in ("src", "lib"):
        if parts and parts[0] == prefix:
            names.add(".".join(parts[1:]))
    return {n for n in names if n}


def _trivial_test(node: ast.expr) -> bool:
    """`assert True`, `assert 1 == 1`, `assert x == x`: no way to fail."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _trivial_test(node.operand)
    if isinstance(node, ast.BoolOp):
        return all(_trivial_test(v) for v in node.values)
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        if all(isinstance(o, ast.Constant) for o in operands):
            return True
        return len({ast.dump(o) for o in operands}) == 1
    return False


def _call_name(node: ast.Call) -> str:
    fn = node.func
    if isinstance(fn, ast.Attribute):
        return fn.attr
    return fn.id if isinstance(fn, ast.Name) else ""


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _marked(decorators: list[ast.expr], marks: tuple[str, ...]) -> bool:
    for dec in decorators:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute) and target.attr in marks:
            return True
    return False


_SKIP_MARKS = ("skip", "skipif", "xfail")
_BROAD = frozenset({"Exception", "BaseException", "AssertionError"})


def _swallows(handler: ast.ExceptHandler) -> bool:
    """A handler that catches assertion failures and does not raise again."""
    kind = handler.type
    names = [] if kind is None else [kind] if not isinstance(kind, ast.Tuple) else kind.elts
    broad = kind is None or any(isinstance(n, ast.Name) and n.id in _BROAD for n in names)
    return broad and not any(isinstance(x, ast.Raise) for x in ast.walk(handler))


class _PyModule:
    """One parsed Python test module: names bound to solution code and its tests."""

    def __init__(self, tree: ast.Module, modules: set[str], subject_files: list[str]) -> None:
        self.tree = tree
        self.imported: set[str] = set()  # names imported from the solution (functions, classes)
        self.aliases: set[str] = set()  # solution modules bound as names
        self.runs_file = False  # names a solution file in a string (runs it as a program)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    hit = alias.name in modules or any(
                        alias.name.startswith(m + ".") or m.startswith(alias.name + ".")
                        for m in modules
                    )
                    if hit:
                        self.aliases.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module is not None:
                for alias in node.names:
                    if f"{node.module}.{alias.name}" in modules:
                        self.aliases.add(alias.asname or alias.name)
                    elif node.module in modules:
                        self.imported.add(alias.asname or alias.name)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and any(PurePosixPath(f).name in node.value for f in subject_files)
            ):
                self.runs_file = True
        self.bound = self.imported | self.aliases
        self.helpers: set[str] = set()  # module-level helpers/fixtures that call the solution
        defs = {
            n.name: n
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        for _ in range(3):
            grown = {
                name
                for name, n in defs.items()
                if name not in self.helpers and self.calls_solution(n)
            }
            if not grown:
                break
            self.helpers |= grown

    def calls_solution(self, node: ast.AST) -> bool:
        """A call of solution code (directly, via a helper or fixture, or as a program)."""
        callable_names = self.bound | self.helpers
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                root = _root_name(sub.func)
                if root in callable_names:
                    return True
                if self.runs_file and _call_name(sub) in (
                    "run",
                    "check_output",
                    "call",
                    "check_call",
                    "Popen",
                    "system",
                    "run_path",
                    "run_module",
                ):
                    return True
            elif isinstance(sub, ast.arg) and sub.arg in self.helpers:
                return True  # a fixture that calls the solution, injected by name
        return False

    def tampering(self) -> str | None:
        """The tests rebind the solution's own names (so they test a stand-in)."""
        for node in ast.walk(self.tree):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id in self.imported:
                    return f"the tests replace the solution's {t.id!r}"
                if isinstance(t, ast.Attribute) and _root_name(t) in self.aliases:
                    return "the tests overwrite attributes of the solution module"
        return None

    def skipped_module(self) -> bool:
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
            ):
                values = node.value.elts if isinstance(node.value, ast.List) else [node.value]
                if _marked(list(values), _SKIP_MARKS):
                    return True
        return False

    def test_units(self) -> list[ast.AST]:
        """Test functions/methods pytest or unittest would run (skipped ones left out)."""
        units: list[ast.AST] = []
        for node in self.tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test"
            ):
                units.append(node)
            elif isinstance(node, ast.ClassDef) and not _marked(node.decorator_list, _SKIP_MARKS):
                units.extend(
                    sub
                    for sub in node.body
                    if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef)
                    and sub.name.startswith("test")
                )
        return [u for u in units if not _marked(u.decorator_list, _SKIP_MARKS)]  # type: ignore[attr-defined]


def _assertions(unit: ast.AST) -> tuple[int, int]:
    """(real, trivial) assertions that can fire: not swallowed, not after an early exit."""
    real = trivial = 0
    body = (
        unit.body if isinstance(unit, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module) else []
    )

    def visit(node: ast.AST) -> None:
        nonlocal real, trivial
        if isinstance(node, ast.Try):
            for stmt in node.body:
                if not any(_swallows(h) for h in node.handlers):
                    visit(stmt)
            for part in (*node.handlers, *node.orelse, *node.finalbody):
                visit(part)
            return
        nested = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
        if isinstance(node, nested) and node is not unit:
            return  # nested definitions run only if called; not counted
        if isinstance(node, ast.Assert):
            if _trivial_test(node.test):
                trivial += 1
            else:
                real += 1
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if _ASSERT_CALL.search(name or ""):
                args = [*node.args, *(k.value for k in node.keywords)]
                if args and all(isinstance(a, ast.Constant) for a in args):
                    trivial += 1
                else:
                    real += 1
        elif isinstance(node, ast.Raise) and node.exc is not None:
            real += 1  # `if result != expected: raise AssertionError(...)`
        for child in ast.iter_child_nodes(node):
            visit(child)

    for stmt in body:
        if isinstance(stmt, ast.Return) or (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and _call_name(stmt.value) in ("skip", "xfail", "exit")
        ):
            break  # nothing after this line runs
        visit(stmt)
    return real, trivial


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source[:_SCRIPT_CAP])
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _pytest_args(argv: list[str]) -> list[str]:
    prog = _program(argv)
    if prog in ("pytest", "py.test"):
        return argv[1:]
    for i, arg in enumerate(argv[:-1]):
        if arg == "-m" and argv[i + 1] == "pytest":
            return argv[i + 2 :]
    return []


def _rigging(files: dict[str, str], argv: list[str]) -> str | None:
    if _is_python(_program(argv)) and any(
        a in ("-O", "-OO") or (a.startswith("-O") and len(a) <= 3) for a in argv[1:3]
    ):
        return "the interpreter runs with -O, which strips assert statements"
    args = _pytest_args(argv)
    for i, arg in enumerate(args):
        value = args[i + 1] if i + 1 < len(args) else ""
        if arg in ("-p", "-o") and _harmless_option(value):
            continue
        if arg.startswith(("-p", "-o")) and _harmless_option(arg[2:]):
            continue
        for opt in _RIGGING_OPTIONS:
            if (
                arg == opt
                or (opt.startswith("--") and arg.startswith(opt + "="))
                or (len(opt) == 2 and arg.startswith(opt) and len(arg) > 2)
            ):
                return f"the command passes {opt!r}, which changes what pytest runs"
    parsed = 0
    for path, content in files.items():
        p = PurePosixPath(path)
        top = p.parts[0].removesuffix(".py") if p.parts else ""
        if top in _SHADOWED and (len(p.parts) > 1 or p.suffix == ".py"):
            return f"{path} shadows the module {top!r} the test run imports"
        if p.name == "conftest.py" or _PY_TEST_FILE.search(path):
            parsed += 1
            if parsed > _MAX_FILES:
                return f"more than {_MAX_FILES} test and conftest files: too many to check"
            tree = _parse(content)
            if tree is None:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and node.name in _RIGGING_HOOKS:
                    return f"{path} defines the pytest hook {node.name}, which can rewrite results"
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
                ):
                    return f"{path} loads pytest plugins"
            for node in tree.body:
                if (
                    isinstance(node, ast.Expr)
                    and isinstance(node.value, ast.Call)
                    and _call_name(node.value) in ("exit", "_exit")
                ):
                    return f"{path} exits the interpreter at import time"
        elif p.name in _CONFIG_FILES:
            low = content.lower()
            for key in ("python_files", "python_functions", "python_classes", "testpaths"):
                if key in low:
                    return f"{path} changes which tests pytest collects ({key})"
            if "addopts" in low and any(opt in low for opt in _RIGGING_OPTIONS if len(opt) > 2):
                return f"{path} adds options to pytest that change what it runs"
    return None


def _harmless_option(value: str) -> bool:
    """`-p no:cacheprovider` and `-o cache_dir=...`: keep pytest from writing, nothing more."""
    value = value.strip()
    return value in ("no:cacheprovider", "no:cache") or value.startswith("cache_dir=")


def _inline_code(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv[:-1]):
        if arg == "-c":
            return argv[i + 1]
    return None


def _is_test_path(path: str) -> bool:
    return bool(_PY_TEST_FILE.search(path)) or path.startswith(("tests/", "test/"))


def _python_targets(files: dict[str, str], argv: list[str]) -> dict[str, str]:
    """The Python test sources the command really runs."""
    prog = _program(argv)
    args = argv[1:]
    inline = _inline_code(argv)
    if inline is not None:
        return {"<-c>": inline}
    if prog in ("pytest", "py.test") or "pytest" in args[:3]:
        runner, rest = "pytest", _pytest_args(argv)
    elif args[:2] == ["-m", "unittest"]:
        runner, rest = "unittest", args[2:]
    else:
        script = next((a for a in args if not a.startswith("-")), None)
        return {script: files[script]} if script in files else {}
    named: list[str] = []
    skip_next = False
    takes_value = _UNITTEST_VALUE_OPTIONS if runner == "unittest" else _PYTEST_VALUE_OPTIONS
    for a in rest:
        if skip_next:
            skip_next = False
        elif a in takes_value:
            skip_next = True
        elif not a.startswith("-") and a != "discover":
            named.append(a)  # a path (for unittest -s/-t, the start directory)
    targets = {}
    for path, content in files.items():
        if not path.endswith(".py") or PurePosixPath(path).name == "conftest.py":
            continue
        if named:
            if any(path == n or path.startswith(n.rstrip("/") + "/") for n in named):
                targets[path] = content
        elif _PY_TEST_FILE.search(path) or (
            runner == "unittest" and PurePosixPath(path).name.startswith("test")
        ):
            targets[path] = content
    return targets


def _python_verdict(
    files: dict[str, str], argv: list[str], solution_files: list[str]
) -> StaticVerdict:
    targets = _python_targets(files, argv)
    if not targets:
        return StaticVerdict(False, "the command runs no test file of the block")
    # The code under test: the solution files, or, when the solution *is* the tests
    # (a "write tests" task), the other Python files of the block.
    subject = [f for f in solution_files if f.endswith(".py") and not _is_test_path(f)]
    if not subject:
        subject = [
            f
            for f in files
            if f.endswith(".py") and not _is_test_path(f) and PurePosixPath(f).name != "conftest.py"
        ]
    modules: set[str] = set()
    for f in subject:
        modules |= _module_names(f)
    total = trivial_only = unrelated = 0
    if len(targets) > _MAX_FILES:
        return StaticVerdict(False, f"more than {_MAX_FILES} test files: too many to check")
    for path, source in targets.items():
        tree = _parse(source)
        if tree is None:
            continue
        module = _PyModule(tree, modules, subject)
        tampered = module.tampering()
        if tampered:
            return StaticVerdict(False, tampered)
        if module.skipped_module():
            continue
        is_subject = path in subject  # the command runs the solution itself as a script
        units = module.test_units() or [tree]  # a script: its module body is the test
        for unit in units:
            real, trivial = _assertions(unit)
            if real == 0:
                trivial_only += trivial > 0
            elif is_subject or module.calls_solution(unit):
                total += 1
            else:
                unrelated += 1
    if total:
        return StaticVerdict(True, f"{total} test(s) call the solution and assert on it", total)
    if unrelated:
        return StaticVerdict(False, "no test calls the solution files' code")
    if trivial_only:
        return StaticVerdict(False, "the only assertions are constant (e.g. `assert True`)")
    return StaticVerdict(False, "the tests assert nothing that can fail")


def _other_verdict(
    files: dict[str, str], argv: list[str], solution_files: list[str]
) -> StaticVerdict:
    prog = _program(argv)
    script = " ".join(argv)
    if prog in ("bash", "sh") and _inline_code(argv) is not None:
        script = _inline_code(argv) or ""
    elif prog not in _RUNNERS:
        return StaticVerdict(False, f"{prog!r} is not a test runner")
    defined: set[str] = set()
    stems = set()
    for f in solution_files:
        stems.add(PurePosixPath(f).stem)
        defined.update(_DEFINED_NAME.findall(files.get(f, "")))
    tests = 0
    trivial = 0
    # test files, plus solution files that carry their own tests (Rust #[test], Go TestX...)
    candidates = {
        p: c for p, c in files.items() if p not in solution_files or _INLINE_TESTS.search(c)
    }
    if not candidates:
        return StaticVerdict(False, "the block has no test file besides the solution")
    room = 512_000  # bounded work per block, whatever the line holds
    for content in [*candidates.values(), script]:
        content = content[: max(0, room)]
        room -= len(content)
        n_assert = len(_OTHER_ASSERT.findall(content))
        n_const = len(_CONSTANT_ASSERT.findall(content))
        if n_assert == 0:
            continue
        if n_assert <= n_const:
            trivial += 1
            continue
        words = set(re.findall(r"[A-Za-z_]\w*", content))
        if (defined & words) or any(s in content for s in stems):
            tests += 1
    if tests:
        return StaticVerdict(True, f"{tests} test file(s) assert on the solution", tests)
    if trivial:
        return StaticVerdict(False, "the only assertions are constant")
    return StaticVerdict(False, "no test file both asserts and uses the solution")


def check_verification(block: dict[str, Any]) -> StaticVerdict:
    """Judge one `verification` block (its dict form) without running anything."""
    files: dict[str, str] = block.get("files") or {}
    argv = [str(a) for a in block.get("command") or []]
    solution_files = list(block.get("solution_files") or [])
    if int(block.get("expect_exit_code") or 0) != 0:
        return StaticVerdict(False, "it expects a failing exit code, which proves nothing")
    if len(argv) == 1 and " " in argv[0]:
        argv = shlex.split(argv[0]) if argv[0] else argv
    prog = _program(argv)
    if not argv or prog in _TRIVIAL_PROGRAMS:
        return StaticVerdict(False, f"the command {prog!r} cannot fail on a wrong answer")
    rigged = _rigging(files, argv)
    if rigged:
        return StaticVerdict(False, rigged)
    if _is_python(prog):
        return _python_verdict(files, argv, solution_files)
    return _other_verdict(files, argv, solution_files)
