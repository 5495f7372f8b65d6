"""What each module of a harness defines and imports, and how its names resolve.

Module names are derived the way Python would find them: relative to the entrypoint's
directory first (it is `sys.path[0]`), then to the harness root, then to every other
directory (a harness may extend `sys.path`); code moved into a subdirectory therefore
still resolves. Only names bound by `def`, `class`, assignment and import matter here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import PurePosixPath


@dataclass(frozen=True)
class Binding:
    """What an imported name refers to: a harness module, a harness symbol, or external."""

    kind: str  # "module" | "symbol" | "external"
    target: str  # module name or external dotted path
    name: str = ""  # the symbol's name inside `target` (kind "symbol")


@dataclass
class ModuleInfo:
    name: str
    rel: str
    file: int
    tree: ast.Module
    is_package: bool
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    bindings: dict[str, Binding] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]


def _module_name(rel: str, base: str) -> str | None:
    path = PurePosixPath(rel)
    if base:
        try:
            path = path.relative_to(base)
        except ValueError:
            return None
    parts = list(path.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def assign_module_names(rels: list[str], entrypoint: str) -> dict[str, list[str]]:
    """rel -> its module names, best first: relative to the entrypoint's directory, then
    to the root, then to any other directory (a harness may put `lib/` on `sys.path`).
    A name taken by an earlier file is not given to a later one."""
    parent = str(PurePosixPath(entrypoint).parent) if entrypoint else "."
    entry_dir = "" if parent == "." else parent
    dirs = {str(PurePosixPath(r).parent) for r in rels}
    others = sorted((d for d in dirs if d not in (".", entry_dir)), key=lambda d: (d.count("/"), d))
    bases = [entry_dir, "", *others]
    names: dict[str, list[str]] = {rel: [] for rel in rels}
    taken: set[str] = set()
    for base in bases:
        for rel in rels:
            name = _module_name(rel, base)
            if name and name not in taken:
                names[rel].append(name)
                taken.add(name)
    return names


def _assigned_names(stmt: ast.stmt) -> list[str]:
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
        targets = [stmt.target]
    out: list[str] = []
    for t in targets:
        out.extend(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    return out


class HarnessSymbols:
    """All modules of one harness with their definitions and resolved imports."""

    def __init__(self, modules: list[ModuleInfo], aliases: dict[str, str] | None = None) -> None:
        #: Every module once, in file order.
        self.infos = list(modules)
        #: Module name (or alias, e.g. `helpers` for `lib/helpers.py`) -> module.
        self.modules: dict[str, ModuleInfo] = {m.name: m for m in modules}
        for alias, primary in (aliases or {}).items():
            if primary in self.modules:
                self.modules.setdefault(alias, self.modules[primary])
        for mod in modules:
            self._collect(mod)
        for mod in modules:
            self._expand_stars(mod)

    # ------------------------------------------------------------------ collection

    def _collect(self, mod: ModuleInfo) -> None:
        for stmt in mod.tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                mod.functions[stmt.name] = stmt
            elif isinstance(stmt, ast.ClassDef):
                mod.classes[stmt.name] = stmt
            else:
                mod.globals.update(_assigned_names(stmt))
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.Import):
                self._import(mod, node)
            elif isinstance(node, ast.ImportFrom):
                self._import_from(mod, node)

    def _import(self, mod: ModuleInfo, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                target = alias.name
                bound = alias.asname
            else:
                target = alias.name.split(".")[0]
                bound = target
            if target in self.modules:
                mod.bindings.setdefault(bound, Binding("module", self.modules[target].name))
            else:
                mod.bindings.setdefault(bound, Binding("external", target))

    def absolute(self, mod: ModuleInfo, node: ast.ImportFrom) -> str | None:
        """The absolute module an `ImportFrom` names, resolving relative levels."""
        if node.level == 0:
            return node.module
        parts = mod.package.split(".") if mod.package else []
        up = node.level - 1
        if up > len(parts):
            return None
        base = parts[: len(parts) - up] if up else parts
        if node.module:
            base = [*base, node.module]
        return ".".join(base) or None

    def _import_from(self, mod: ModuleInfo, node: ast.ImportFrom) -> None:
        source = self.absolute(mod, node)
        if source is None or source == "__future__":
            return
        for alias in node.names:
            if alias.name == "*":
                if source in self.modules:
                    mod.star_imports.append(source)
                continue
            bound = alias.asname or alias.name
            full = f"{source}.{alias.name}"
            if full in self.modules:
                binding = Binding("module", self.modules[full].name)
            elif source in self.modules:
                binding = Binding("symbol", self.modules[source].name, alias.name)
            else:
                binding = Binding("external", full)
            mod.bindings.setdefault(bound, binding)

    def _expand_stars(self, mod: ModuleInfo) -> None:
        for source in mod.star_imports:
            other = self.modules[source]
            source = other.name
            for name in [*other.functions, *other.classes, *other.globals]:
                if not name.startswith("_"):
                    mod.bindings.setdefault(name, Binding("symbol", source, name))

    # ------------------------------------------------------------------ resolution

    def resolve(self, module: str, name: str, depth: int = 0) -> tuple[str, str, str] | None:
        """Follow `name` in `module` to ("function"|"class"|"global"|"module", mod, name)."""
        mod = self.modules.get(module)
        if mod is None or depth > 8:
            return None
        if name in mod.functions:
            return ("function", module, name)
        if name in mod.classes:
            return ("class", module, name)
        binding = mod.bindings.get(name)
        if binding is not None:
            if binding.kind == "module":
                return ("module", binding.target, "")
            if binding.kind == "symbol":
                return self.resolve(binding.target, binding.name, depth + 1) or (
                    self._submodule(binding.target, binding.name)
                )
            return None
        if name in mod.globals:
            return ("global", module, name)
        return self._submodule(module, name)

    def _submodule(self, module: str, name: str) -> tuple[str, str, str] | None:
        full = f"{module}.{name}"
        return ("module", self.modules[full].name, "") if full in self.modules else None

    def external(self, module: str, name: str) -> str | None:
        """The external dotted path `name` is bound to in `module`, if it is an import."""
        mod = self.modules.get(module)
        if mod is None:
            return None
        binding = mod.bindings.get(name)
        if binding is not None and binding.kind == "external":
            return binding.target
        return None
