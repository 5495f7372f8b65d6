"""Which definitions can run when the entrypoint runs: the rest is padding to drop.

A copier hides a copy by adding dead code (up to twice the original in our tests), so
only code reachable from the entrypoint counts. The analysis over-approximates, which
is the safe direction (keeping dead code only costs precision): a name or attribute
mentioned in reachable code makes every definition it could mean reachable; decorated
definitions count as registered; string literals naming a definition, a module or a
`.py` file (scripts started with `python file.py`) count as uses; and a dynamic import
with a computed name gives up and keeps everything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from dfab.originality.symbols import HarnessSymbols, ModuleInfo
from dfab.originality.tokens import const_truth

_TERMINATORS = (ast.Return, ast.Raise, ast.Continue, ast.Break)

Key = tuple[str, ...]

#: Decorators that do not register the function anywhere (so do not make it reachable).
_PLAIN_DECORATORS = frozenset(
    {
        "property",
        "staticmethod",
        "classmethod",
        "dataclass",
        "dataclasses.dataclass",
        "functools.cache",
        "functools.lru_cache",
        "functools.cached_property",
        "functools.wraps",
        "functools.total_ordering",
        "contextlib.contextmanager",
        "contextlib.asynccontextmanager",
        "abc.abstractmethod",
        "typing.overload",
        "typing.final",
        "enum.unique",
    }
)


def is_main_guard(stmt: ast.stmt) -> bool:
    """`if __name__ == "__main__":` (either operand order)."""
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return False
    test = stmt.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and consts)


@dataclass
class Reachability:
    """Reachable module bodies, top-level definitions and methods."""

    modules: set[str] = field(default_factory=set)
    scripts: set[str] = field(default_factory=set)
    defs: set[tuple[str, str]] = field(default_factory=set)
    methods: set[tuple[str, str, str]] = field(default_factory=set)
    everything: bool = False


class _Analysis:
    def __init__(self, symbols: HarnessSymbols) -> None:
        self.sym = symbols
        self.result = Reachability()
        self.work: list[Key] = []
        self.seen: set[Key] = set()
        self.attr_names: set[str] = set()
        self.by_basename: dict[str, list[str]] = {}
        for mod in symbols.infos:
            base = PurePosixPath(mod.rel).name
            self.by_basename.setdefault(base, []).append(mod.name)

    # ------------------------------------------------------------------ queue

    def push(self, key: Key) -> None:
        if key[1] in self.sym.modules and self.sym.modules[key[1]].name != key[1]:
            key = (key[0], self.sym.modules[key[1]].name, *key[2:])  # alias -> primary name
        if key in self.seen:
            return
        self.seen.add(key)
        self.work.append(key)
        if key[0] in ("def", "meth", "script"):
            self.push(("mod", key[1]))
        elif key[0] == "mod":
            parent = key[1].rpartition(".")[0]
            if parent and parent in self.sym.modules:
                self.push(("mod", parent))

    def add_resolved(self, found: tuple[str, str, str] | None) -> None:
        if found is None:
            return
        kind, module, name = found
        if kind in ("function", "class"):
            self.push(("def", module, name))
        elif kind == "module":
            self.push(("mod", module))
        else:
            self.push(("mod", module))

    # ------------------------------------------------------------------ fragments

    def fragment(self, key: Key) -> list[ast.AST]:
        mod = self.sym.modules[key[1]]
        if key[0] in ("mod", "script"):
            roots: list[ast.AST] = []
            for stmt in mod.tree.body:
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    if self._registers(mod, stmt):
                        self.push(("def", mod.name, stmt.name))
                    continue
                if is_main_guard(stmt) and key[0] != "script":
                    continue
                roots.append(stmt)
            return roots
        if key[0] == "def":
            node = mod.functions.get(key[2]) or mod.classes.get(key[2])
            if isinstance(node, ast.ClassDef):
                return [
                    *node.bases,
                    *node.keywords,
                    *node.decorator_list,
                    *(
                        s
                        for s in node.body
                        if not isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
                    ),
                ]
            return [node] if node is not None else []
        method = self._method(mod, key[2], key[3])
        return [method] if method is not None else []

    def _method(
        self, mod: ModuleInfo, cls: str, name: str
    ) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        for stmt in mod.classes[cls].body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
                return stmt
        return None

    def _registers(
        self, mod: ModuleInfo, stmt: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) -> bool:
        for dec in stmt.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            name = self._dotted(mod, target)
            if name not in _PLAIN_DECORATORS:
                return True
        return False

    def _dotted(self, mod: ModuleInfo, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.sym.external(mod.name, node.id) or node.id
        if isinstance(node, ast.Attribute):
            base = self._dotted(mod, node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    # ------------------------------------------------------------------ references

    def module_of(self, mod: ModuleInfo, node: ast.AST) -> str | None:
        """The harness module an expression denotes (`pkg.sub` after `import pkg`)."""
        if isinstance(node, ast.Name):
            found = self.sym.resolve(mod.name, node.id)
            return found[1] if found and found[0] == "module" else None
        if isinstance(node, ast.Attribute):
            base = self.module_of(mod, node.value)
            if base and f"{base}.{node.attr}" in self.sym.modules:
                return self.sym.modules[f"{base}.{node.attr}"].name
        return None

    def references(self, mod: ModuleInfo, roots: list[ast.AST]) -> None:
        for root in roots:
            for node in self._live_nodes(mod, root):
                self._reference(mod, node)

    def _live_nodes(self, mod: ModuleInfo, root: ast.AST) -> Iterator[ast.AST]:
        """Like `ast.walk`, minus code that cannot run (after `return`, under `if False`)."""
        stack = [root]
        while stack:
            node = stack.pop()
            yield node
            if isinstance(node, ast.If | ast.While):
                truth = const_truth(node.test, mod, self.sym)
                if truth is not None:
                    keep = node.body if truth and isinstance(node, ast.If) else node.orelse
                    stack.extend(reversed(_live_block(keep)))
                    continue
            for name, value in ast.iter_fields(node):
                if isinstance(value, list):
                    items = _live_block(value) if name in ("body", "orelse", "finalbody") else value
                    stack.extend(v for v in reversed(items) if isinstance(v, ast.AST))
                elif isinstance(value, ast.AST):
                    stack.append(value)

    def _reference(self, mod: ModuleInfo, node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            self.add_resolved(self.sym.resolve(mod.name, node.id))
            if node.id in ("globals", "vars", "locals"):
                self._all_defs(mod.name)
        elif isinstance(node, ast.Attribute):
            self.attr_names.add(node.attr)
            base = self.module_of(mod, node.value)
            if base is not None:
                self.add_resolved(self.sym.resolve(base, node.attr))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            self._string(mod, node.value)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self._import_chain(alias.name)
        elif isinstance(node, ast.ImportFrom):
            source = self.sym.absolute(mod, node)
            if source:
                self._import_chain(source)
                for alias in node.names:
                    if f"{source}.{alias.name}" in self.sym.modules:
                        self.push(("mod", f"{source}.{alias.name}"))
        elif isinstance(node, ast.Call):
            self._call(mod, node)

    def _import_chain(self, dotted: str) -> None:
        parts = dotted.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name in self.sym.modules:
                self.push(("mod", name))

    def _string(self, mod: ModuleInfo, text: str) -> None:
        if len(text) > 200:
            return
        if text.isidentifier():
            self.attr_names.add(text)
            if text in mod.functions or text in mod.classes:
                self.push(("def", mod.name, text))
        if text in self.sym.modules:
            self.push(("script", text))
        if "." in text and not text.isidentifier():
            for name in self.by_basename.get(PurePosixPath(text).name, ()):
                self.push(("script", name))

    def _call(self, mod: ModuleInfo, node: ast.Call) -> None:
        callee = self._dotted(mod, node.func)
        first = node.args[0] if node.args else None
        literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
        if callee in ("__import__", "importlib.import_module", "import_module"):
            if literal:
                self._import_chain(str(first.value))  # type: ignore[union-attr]
            else:
                self.result.everything = True
        elif callee == "getattr" and len(node.args) >= 2:
            target = self.module_of(mod, node.args[0])
            name = node.args[1]
            if target and not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                self._all_defs(target)

    def _all_defs(self, module: str) -> None:
        mod = self.sym.modules[module]
        for name in [*mod.functions, *mod.classes]:
            self.push(("def", module, name))

    # ------------------------------------------------------------------ methods

    def methods_round(self) -> None:
        for module, cls in sorted(d for d in self.result.defs if d[1] in self._classes(d[0])):
            node = self.sym.modules[module].classes[cls]
            open_class = self._external_base(module, node)
            for stmt in node.body:
                if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                name = stmt.name
                dunder = name.startswith("__") and name.endswith("__")
                if (
                    open_class
                    or dunder
                    or name in self.attr_names
                    or self._registers_method(module, stmt)
                ):
                    self.push(("meth", module, cls, name))

    def _registers_method(self, module: str, stmt: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        return self._registers(self.sym.modules[module], stmt)

    def _classes(self, module: str) -> dict[str, ast.ClassDef]:
        return self.sym.modules[module].classes

    def _external_base(self, module: str, node: ast.ClassDef) -> bool:
        """A class extending an outside class: frameworks call its methods by name."""
        mod = self.sym.modules[module]
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id == "object":
                continue
            if isinstance(base, ast.Name):
                found = self.sym.resolve(module, base.id)
                if found and found[0] == "class":
                    continue
            name = self._dotted(mod, base)
            if name in ("Exception", "ValueError", "RuntimeError", "typing.NamedTuple"):
                continue
            if name and not name.startswith(("typing.", "abc.")):
                return True
        return False

    # ------------------------------------------------------------------ driver

    def run(self, entry: str | None) -> Reachability:
        if entry is None:
            self.result.everything = True
        else:
            self.push(("script", entry))
        while self.work or self._more_methods():
            while self.work:
                key = self.work.pop()
                self._record(key)
                if key[1] in self.sym.modules:
                    self.references(self.sym.modules[key[1]], self.fragment(key))
            if self.result.everything:
                break
        if self.result.everything:
            self._mark_everything()
        return self.result

    def _more_methods(self) -> bool:
        before = len(self.seen)
        self.methods_round()
        return len(self.seen) > before

    def _record(self, key: Key) -> None:
        if key[0] == "mod":
            self.result.modules.add(key[1])
        elif key[0] == "script":
            self.result.scripts.add(key[1])
            self.result.modules.add(key[1])
        elif key[0] == "def":
            self.result.defs.add((key[1], key[2]))
        elif key[0] == "meth":
            self.result.methods.add((key[1], key[2], key[3]))

    def _mark_everything(self) -> None:
        for mod in self.sym.infos:
            self.result.modules.add(mod.name)
            for name in [*mod.functions, *mod.classes]:
                self.result.defs.add((mod.name, name))
            for cls, node in mod.classes.items():
                for stmt in node.body:
                    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                        self.result.methods.add((mod.name, cls, stmt.name))


def _live_block(stmts: list[ast.AST]) -> list[ast.AST]:
    """A statement list up to and including its first return/raise/continue/break."""
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, _TERMINATORS):
            return stmts[: i + 1]
    return stmts


def reachable(symbols: HarnessSymbols, entry_module: str | None) -> Reachability:
    """Reachability from `entry_module` (None: the entrypoint is unknown, keep all)."""
    return _Analysis(symbols).run(entry_module)


def iter_methods(node: ast.ClassDef) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            yield stmt
