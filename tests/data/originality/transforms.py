"""Clone transformations for the originality corpus: what a copier does to hide a copy.

Each transformation takes a harness's parsed Python sources ({relative path: module})
and edits them in place; `make_clone` parses once, applies a named recipe and writes a
new harness directory. Everything is driven by a seeded RNG, so the corpus is reproducible.
The edits are syntactic (ast in, `ast.unparse` out) and aggressive on purpose: a copy
that still works is the copier's problem, detecting it is ours.
"""

from __future__ import annotations

import ast
import builtins
import copy
import random
import shutil
from collections.abc import Callable
from pathlib import Path

from dfab.originality.vocabulary import EXTERNAL_METHODS

Sources = dict[str, str]
Trees = dict[str, ast.Module]

_WORDS = (
    *("alpha", "amber", "basil", "cedar", "delta", "ember", "fable", "gamma", "harbor", "iris"),
    *("juniper", "kelp", "lumen", "maple", "nova", "onyx", "pixel", "quartz", "raven", "sierra"),
    *("tango", "umber", "vega", "willow", "xenon", "yarrow", "zephyr", "cobalt", "dune", "fjord"),
    *("glade", "heron", "inlet", "jade", "kestrel", "lotus", "mesa", "nectar", "orbit", "prism"),
    *("quill", "ridge", "slate"),
)
_KEEP = frozenset(dir(builtins)) | {"self", "cls", "main", "run", "entry"}
#: Attribute names that external objects (str, list, dict, Path, argparse...) also have:
#: renaming them would rename calls on those objects too (and break the copy), so a
#: copier leaves them alone.
_SHARED_ATTRS = EXTERNAL_METHODS | {
    *("name", "path", "output", "count", "seed", "text", "data", "file", "files", "args", "kind"),
    *("size", "type", "parse"),
}


def _new_name(rng: random.Random, used: set[str]) -> str:
    for attempt in range(1_000_000):
        name = rng.choice(_WORDS) + "_" + rng.choice(_WORDS)
        if attempt > 10:
            name += str(rng.randrange(10**6))
        if rng.random() < 0.5:
            name = "_" + name
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("no fresh name")


def _trees(sources: Sources) -> dict[str, ast.Module]:
    return {rel: ast.parse(text) for rel, text in sources.items()}


def _emit(trees: dict[str, ast.Module]) -> Sources:
    return {rel: ast.unparse(ast.fix_missing_locations(t)) + "\n" for rel, t in trees.items()}


# ------------------------------------------------------------------ renaming


def _definitions(trees: dict[str, ast.Module]) -> tuple[set[str], set[str]]:
    """(names bound by the harness, attribute names the harness defines)."""
    names: set[str] = set()
    attrs: set[str] = set()
    imported_external: set[str] = set()
    modules = {Path(rel).with_suffix("").name for rel in trees}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                attrs.add(node.attr)
            elif isinstance(node, ast.ImportFrom):
                local = node.level > 0 or (node.module or "").split(".")[0] in modules
                for a in node.names:
                    if not local:
                        imported_external.add(a.asname or a.name)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    imported_external.add((a.asname or a.name).split(".")[0])
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                        attrs.add(stmt.name)
                    elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                        attrs.add(stmt.target.id)
                    elif isinstance(stmt, ast.Assign):
                        attrs.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    names -= _KEEP | imported_external | modules | (attrs & _SHARED_ATTRS)
    attrs -= _KEEP | _SHARED_ATTRS
    names = {n for n in names if not (n.startswith("__") and n.endswith("__"))}
    attrs = {a for a in attrs if not (a.startswith("__") and a.endswith("__"))}
    return names, attrs


class _Renamer(ast.NodeTransformer):
    def __init__(
        self, mapping: dict[str, str], attr_mapping: dict[str, str], modules: set[str]
    ) -> None:
        self.mapping = mapping
        self.attrs = attr_mapping
        self.modules = modules
        self.external: set[str] = set()

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self.mapping.get(node.arg, node.arg)
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = self.mapping.get(node.name, self.attrs.get(node.name, node.name))
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.name = self.mapping.get(node.name, node.name)
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                stmt.target.id = self.attrs.get(stmt.target.id, stmt.target.id)
        self.generic_visit(node)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        on_module = isinstance(node.value, ast.Name) and node.value.id in self.modules
        on_external = isinstance(node.value, ast.Name) and node.value.id in self.external
        if on_external:
            pass
        elif on_module:
            node.attr = self.mapping.get(node.attr, node.attr)
        else:
            node.attr = self.attrs.get(node.attr, node.attr)
        self.generic_visit(node)
        return node

    def visit_alias(self, node: ast.alias) -> ast.AST:
        if node.name in self.mapping and node.asname is None:
            node.name = self.mapping[node.name]
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        """Keyword names follow the callee's parameters: only harness callees are renamed."""
        func = node.func
        ours = (isinstance(func, ast.Name) and func.id in self.mapping) or (
            isinstance(func, ast.Attribute) and func.attr in self.attrs
        )
        if ours:
            for kw in node.keywords:
                if kw.arg is not None:
                    kw.arg = self.mapping.get(kw.arg, self.attrs.get(kw.arg, kw.arg))
        self.generic_visit(node)
        return node


def rename(trees: Trees, rng: random.Random) -> Trees:
    """Every harness-defined identifier renamed, about half with a `_` prefix."""
    names, attrs = _definitions(trees)
    used: set[str] = set()
    mapping = {n: _new_name(rng, used) for n in sorted(names)}
    attr_mapping = {a: mapping.get(a) or _new_name(rng, used) for a in sorted(attrs)}
    modules = {part for rel in trees for part in Path(rel).with_suffix("").parts}
    for tree in trees.values():  # aliases of harness modules: `from pkg import text as tx`
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                for a in node.names:
                    if a.asname and a.name.split(".")[-1] in modules:
                        modules.add(a.asname)
    renamer = _Renamer(mapping, attr_mapping, modules)
    renamer.external = {
        (a.asname or a.name).split(".")[0]
        for t in trees.values()
        for n in ast.walk(t)
        if isinstance(n, ast.Import)
        for a in n.names
    } - modules
    return {rel: renamer.visit(t) for rel, t in trees.items()}


# ------------------------------------------------------------------ reordering


def reorder(trees: Trees, rng: random.Random) -> Trees:
    """Top-level functions and classes shuffled within each module."""
    for tree in trees.values():
        slots = [
            i for i, s in enumerate(tree.body) if isinstance(s, ast.FunctionDef | ast.ClassDef)
        ]
        moved = [tree.body[i] for i in slots]
        rng.shuffle(moved)
        for i, stmt in zip(slots, moved, strict=True):
            tree.body[i] = stmt
    return trees


# ------------------------------------------------------------------ padding


def _junk_function(rng: random.Random, used: set[str]) -> ast.FunctionDef:
    name = _new_name(rng, used)
    a, b, acc = (_new_name(rng, used) for _ in range(3))
    ops = ["+", "-", "*", "//", "%"]
    lines = [f"def {name}({a}, {b}=None):", f"    {acc} = []"]
    for _ in range(rng.randint(3, 9)):
        kind = rng.randrange(5)
        var = _new_name(rng, used)
        if kind == 0:
            lines.append(f"    for {var} in range({rng.randint(2, 40)}):")
            lines.append(f"        {acc}.append({var} {rng.choice(ops)} {rng.randint(1, 9)})")
        elif kind == 1:
            lines.append(f"    if {a} and len(str({a})) > {rng.randint(1, 30)}:")
            lines.append(f"        {acc}.append(str({a}).upper()[:{rng.randint(2, 9)}])")
            lines.append("    else:")
            lines.append(f"        {acc}.append({rng.random():.3f})")
        elif kind == 2:
            lines.append(
                f"    {var} = {{k: k * {rng.randint(2, 7)} for k in range({rng.randint(2, 12)})}}"
            )
            lines.append(f"    {acc}.extend(sorted({var}.values()))")
        elif kind == 3:
            lines.append(f"    {var} = '{rng.choice(_WORDS)}'.join(map(str, {acc}[-3:]))")
            lines.append(f"    {acc}.append(len({var}))")
        else:
            lines.append(f"    while len({acc}) < {rng.randint(5, 30)}:")
            lines.append(f"        {acc}.append(({b} or 0) + len({acc}))")
    lines.append(f"    return {acc}")
    fn = ast.parse("\n".join(lines)).body[0]
    assert isinstance(fn, ast.FunctionDef)
    return fn


def _prefix(tree: ast.Module) -> int:
    """Statements that must stay first: the docstring and the imports."""
    n = 0
    for stmt in tree.body:
        doc = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        if not (doc or isinstance(stmt, ast.Import | ast.ImportFrom)):
            break
        n += 1
    return n


def _size(trees: Trees) -> int:
    """Code size in statements (about lines)."""
    return sum(isinstance(n, ast.stmt) for t in trees.values() for n in ast.walk(t))


def pad(trees: Trees, rng: random.Random, factor: float = 2.0, live: bool = False) -> Trees:
    """Add about `factor` times the code size of junk.

    Dead (`live=False`): never-called functions, `if False:` blocks and statements after
    `return`. Live: the junk functions are also called (results unused), which keeps
    them reachable, as a copier who knows about reachability would do.
    """
    used: set[str] = set()
    target = int(_size(trees) * factor)
    added = 0
    rels = sorted(trees)
    hosts = {
        rel: [n for n in ast.walk(t) if isinstance(n, ast.FunctionDef) and n.body]
        for rel, t in trees.items()
    }
    while added < target:
        rel = rng.choice(rels)
        tree = trees[rel]
        fn = _junk_function(rng, used)
        added += len(fn.body) + 1
        choice = rng.randrange(3)
        funcs = hosts[rel]
        if choice == 0 or not funcs:
            tree.body.insert(rng.randint(_prefix(tree), len(tree.body)), fn)
            if live and funcs:
                host = rng.choice(funcs)
                call = ast.parse(f"{fn.name}({rng.randint(1, 9)})").body[0]
                host.body.insert(min(1, len(host.body)), call)
        elif choice == 1:
            host = rng.choice(funcs)
            guard = ast.If(test=ast.Constant(False), body=fn.body[:-1], orelse=[])
            host.body.insert(rng.randint(0, len(host.body) - 1), guard)
        else:
            host = rng.choice(funcs)
            if isinstance(host.body[-1], ast.Return):
                host.body.extend(fn.body[1:-1])
            else:
                tree.body.append(fn)
    return trees


# ------------------------------------------------------------------ cosmetics


def cosmetic(trees: Trees, rng: random.Random) -> Trees:
    """New docstrings (comments are added to the text by `add_comments`; unparse
    reformats everything)."""
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                doc = ast.Expr(ast.Constant(" ".join(rng.sample(_WORDS, 6)).capitalize() + "."))
                first = node.body[0]
                is_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                if is_doc:
                    node.body[0] = doc
                else:
                    node.body.insert(0, doc)
    return trees


def add_comments(text: str, rng: random.Random) -> str:
    """Comment lines and blank lines sprinkled through a source file."""
    lines = []
    for line in text.splitlines():
        if rng.random() < 0.15:
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(f"{indent}# {' '.join(rng.sample(_WORDS, 4))}")
        lines.append(line)
        if rng.random() < 0.1:
            lines.append("")
    return "\n".join(lines) + "\n"


class _Constants(ast.NodeTransformer):
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        v = node.value
        if isinstance(v, bool) or v is None:
            return node
        if isinstance(v, int) and self.rng.random() < 0.7:
            return ast.Constant(v + self.rng.randint(1, 9))
        if isinstance(v, float):
            return ast.Constant(round(v * self.rng.uniform(0.5, 1.5), 3))
        if isinstance(v, str) and 0 < len(v) < 40 and " " in v and self.rng.random() < 0.7:
            return ast.Constant(v.replace(" ", " " + self.rng.choice(_WORDS) + " ", 1))
        return node


def constants(trees: Trees, rng: random.Random) -> Trees:
    """Numbers shifted and short phrases reworded."""
    return {rel: _Constants(rng).visit(t) for rel, t in trees.items()}


# ------------------------------------------------------------------ sync -> async


def _has_yield(fn: ast.AST) -> bool:
    return any(isinstance(n, ast.Yield | ast.YieldFrom) for n in ast.walk(fn))


class _Awaiter(ast.NodeTransformer):
    """Inside async functions, calls to converted functions become `await f(...)`."""

    def __init__(self, converted: set[str]) -> None:
        self.converted = converted
        self.depth_async = 0

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        self.depth_async += 1
        self.generic_visit(node)
        self.depth_async -= 1
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        saved, self.depth_async = self.depth_async, 0
        self.generic_visit(node)
        self.depth_async = saved
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        saved, self.depth_async = self.depth_async, 0
        self.generic_visit(node)
        self.depth_async = saved
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in self.converted:
            if self.depth_async:
                return ast.Await(node)
            return ast.Call(
                ast.Attribute(ast.Name("asyncio", ast.Load()), "run", ast.Load()), [node], []
            )
        return node


def asyncify(trees: Trees, rng: random.Random) -> Trees:
    """Module-level functions become `async def`; their callers await or asyncio.run them."""
    converted: set[str] = set()
    for tree in trees.values():
        for i, stmt in enumerate(tree.body):
            if isinstance(stmt, ast.FunctionDef) and not _has_yield(stmt) and rng.random() < 0.8:
                new = ast.AsyncFunctionDef(**{f: getattr(stmt, f) for f in stmt._fields})
                tree.body[i] = ast.copy_location(new, stmt)
                converted.add(stmt.name)
    for tree in trees.values():
        _Awaiter(converted).visit(tree)
        if any(isinstance(n, ast.Name) and n.id == "asyncio" for n in ast.walk(tree)):
            tree.body.insert(_prefix(tree), ast.Import([ast.alias("asyncio")]))
    # Functions passed as values (registries) would now yield coroutines: fine for a copy.
    return trees


# ------------------------------------------------------------------ split / merge


def _stored(stmts: list[ast.stmt]) -> list[str]:
    out: list[str] = []
    for s in stmts:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id not in out:
                out.append(n.id)
    return out


def _loaded(stmts: list[ast.stmt]) -> set[str]:
    return {
        n.id
        for s in stmts
        for n in ast.walk(s)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


def _split_one(fn: ast.FunctionDef, rng: random.Random, used: set[str]) -> ast.FunctionDef | None:
    """Cut `fn` in two; returns the new helper (module level) or None if unsuitable."""
    if len(fn.body) < 4:
        return None
    half = len(fn.body) // 2
    head, tail = fn.body[:half], fn.body[half:]
    bad = (ast.Return, ast.Yield, ast.YieldFrom, ast.Nonlocal, ast.Global, ast.Await)
    if any(isinstance(n, bad) for s in head for n in ast.walk(s)):
        return None
    params = [a.arg for a in fn.args.args]
    carried = [n for n in _stored(head) if n in _loaded(tail)]
    name = _new_name(rng, used)
    result = f"return ({', '.join(carried)},)" if carried else "return None"
    helper = ast.parse(f"def {name}({', '.join(params)}):\n    {result}")
    new = helper.body[0]
    assert isinstance(new, ast.FunctionDef)
    new.body = head + new.body
    call = f"{name}({', '.join(params)})"
    unpack = ast.parse(f"({', '.join(carried)},) = {call}" if carried else call).body[0]
    fn.body = [unpack, *tail]
    return new


def split(trees: Trees, rng: random.Random) -> Trees:
    """Long functions and methods cut in two: the first half becomes a module-level helper
    taking the same parameters and returning the variables the second half needs."""
    used: set[str] = set()
    for tree in trees.values():
        new_body: list[ast.stmt] = []
        for stmt in tree.body:
            targets: list[ast.FunctionDef] = []
            if isinstance(stmt, ast.FunctionDef):
                targets = [stmt]
            elif isinstance(stmt, ast.ClassDef):
                targets = [m for m in stmt.body if isinstance(m, ast.FunctionDef)]
            for fn in targets:
                helper = _split_one(fn, rng, used)
                if helper is not None:
                    new_body.append(helper)
            new_body.append(stmt)
        tree.body = new_body
    return trees


class _MergedCalls(ast.NodeTransformer):
    """Calls of `first`/`second` become calls of `merged` with a leading mode argument."""

    def __init__(self, first: str, second: str, merged: str) -> None:
        self.modes = {first: 0, second: 1}
        self.merged = merged

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in self.modes:
            mode = ast.Constant(self.modes[node.func.id])
            return ast.Call(ast.Name(self.merged, ast.Load()), [mode, *node.args], [])
        return node


def _only_called(tree: ast.Module, name: str) -> bool:
    """`name` is used only as the callee of positional calls (never passed around)."""
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
    ]
    loads = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name]
    return bool(calls) and len(calls) == len(loads) and not any(c.keywords for c in calls)


def merge(trees: Trees, rng: random.Random) -> Trees:
    """Pairs of simple functions merged into one dispatching on a mode argument."""
    used: set[str] = set()
    for tree in trees.values():
        eligible = [
            s
            for s in tree.body
            if isinstance(s, ast.FunctionDef)
            and not s.decorator_list
            and not s.args.defaults
            and not s.args.kwonlyargs
            and not s.args.vararg
            and not s.args.kwarg
            and _only_called(tree, s.name)
        ]
        rng.shuffle(eligible)
        while len(eligible) >= 2:
            f, g = eligible.pop(), eligible.pop()
            merged_name = _new_name(rng, used)
            fa = ", ".join(a.arg for a in f.args.args)
            ga = ", ".join(a.arg for a in g.args.args)
            merged = ast.parse(
                f"def {merged_name}(mode, *args):\n"
                f"    if mode == 0:\n        ({fa}{',' if fa else ''}) = args\n        pass\n"
                f"    else:\n        ({ga}{',' if ga else ''}) = args\n        pass\n"
            ).body[0]
            assert isinstance(merged, ast.FunctionDef)
            branch = merged.body[0]
            assert isinstance(branch, ast.If)
            branch.body = ([branch.body[0]] if fa else []) + copy.deepcopy(f.body)
            branch.orelse = ([branch.orelse[0]] if ga else []) + copy.deepcopy(g.body)
            _MergedCalls(f.name, g.name, merged_name).visit(tree)
            tree.body[tree.body.index(f)] = merged
            tree.body.remove(g)
    return trees


TRANSFORMS: dict[str, Callable[[Trees, random.Random], Trees]] = {
    "rename": rename,
    "reorder": reorder,
    "pad": pad,
    "pad_live": lambda s, r: pad(s, r, live=True),
    "cosmetic": cosmetic,
    "constants": constants,
    "async": asyncify,
    "split": split,
    "merge": merge,
}

#: Recipes: the clone kinds of the corpus (each is a copy that must be detected).
RECIPES: dict[str, tuple[str, ...]] = {
    "renamed": ("rename",),
    "reordered": ("reorder",),
    "padded": ("pad",),
    "padded_live": ("pad_live",),
    "cosmetic": ("cosmetic",),
    "constants": ("constants",),
    "async": ("async",),
    "split": ("split",),
    "merged": ("merge",),
    "everything": ("rename", "reorder", "constants", "split", "async", "pad", "cosmetic"),
}


def read_sources(root: Path) -> Sources:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def make_clone(original: Path, dest: Path, recipe: str, seed: int) -> Path:
    """Copy `original` to `dest` and apply the recipe's transformations to its sources."""
    shutil.copytree(original, dest, ignore=shutil.ignore_patterns("__pycache__"))
    rng = random.Random(f"{recipe}:{seed}:{original.name}")
    trees = _trees(read_sources(original))
    for step in RECIPES[recipe]:
        trees = TRANSFORMS[step](trees, rng)
    for rel, text in _emit(trees).items():
        if "cosmetic" in RECIPES[recipe]:
            text = add_comments(text, rng)
        compile(text, rel, "exec")  # every clone is still valid Python
        (dest / rel).write_text(text, encoding="utf-8")
    return dest
