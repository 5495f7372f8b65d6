"""The canonical form of a harness: reachable definitions as role-token streams, sorted.

Each reachable definition (a top-level function, a class header, a method, a module's
top-level statements) becomes one unit. Units are sorted by their token text, so the
order of definitions in files, and which file they live in, does not matter; two
harnesses that differ only by renaming, formatting, comments, docstrings, constants,
`async` wrapping, reordering or unreachable padding have the same canonical text.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dfab.originality.reach import Reachability, is_main_guard, iter_methods, reachable
from dfab.originality.symbols import HarnessSymbols, ModuleInfo, assign_module_names
from dfab.originality.tokens import Emitter
from dfab.review.source import SourceFile, harness_files, load_sources, read_entrypoint

#: Directories `pack_directory` never packs; they are not part of a harness.
SKIPPED_DIRS = frozenset({"__pycache__", ".git"})
#: Non-.py files this small that parse as Python with defs or imports may be run as
#: scripts (`python payload.txt`); they are fingerprinted like modules when referenced.
_HIDDEN_SCRIPT_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class Unit:
    """One reachable definition as canonical tokens, with the source line of each token."""

    file: int
    kind: str
    name: str
    tokens: tuple[str, ...]
    lines: tuple[int, ...]

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


@dataclass(frozen=True)
class CanonicalHarness:
    files: tuple[str, ...]
    units: tuple[Unit, ...]
    total_units: int
    entrypoint: str
    entry_found: bool

    @property
    def token_count(self) -> int:
        return sum(len(u.tokens) for u in self.units)

    def text(self) -> str:
        return "\n".join(u.text for u in self.units)

    def exact_hash(self) -> str:
        return hashlib.sha256(self.text().encode("utf-8")).hexdigest()


def _hidden_script(rel: str, data: bytes, max_depth: int) -> SourceFile | None:
    if len(data) > _HIDDEN_SCRIPT_MAX_BYTES or b"\0" in data:
        return None
    from dfab.review.source import parse_source

    src = parse_source(rel, data, max_depth)
    if src.tree is None:
        return None
    code_like = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
    return src if any(isinstance(s, code_like) for s in src.tree.body) else None


def _sources(root: Path, max_depth: int, max_bytes: int) -> list[SourceFile]:
    files = harness_files(root, SKIPPED_DIRS)
    py = [f for f in files if f.endswith(".py")]
    out = [s for s in load_sources(root, py, max_depth, max_bytes) if s.ok]
    budget = max_bytes - sum(len(s.data) for s in out)
    for rel in files:
        if rel.endswith(".py") or rel == "harness.toml":
            continue
        size = (root / rel).stat().st_size
        if size > budget or size > _HIDDEN_SCRIPT_MAX_BYTES:
            continue
        src = _hidden_script(rel, (root / rel).read_bytes(), max_depth)
        if src is not None:
            out.append(src)
            budget -= size
    return out


def _module_infos(
    sources: list[SourceFile], entrypoint: str
) -> tuple[list[ModuleInfo], dict[str, str]]:
    """Modules (primary name first) and alias -> primary name for other importable names."""
    rels = [s.rel for s in sources]
    names = assign_module_names([r for r in rels if r.endswith(".py")], entrypoint)
    infos: list[ModuleInfo] = []
    aliases: dict[str, str] = {}
    for index, src in enumerate(sources):
        assert src.tree is not None
        found = names.get(src.rel) or [f"<{src.rel}>"]
        is_package = PurePosixPath(src.rel).name == "__init__.py"
        infos.append(ModuleInfo(found[0], src.rel, index, src.tree, is_package))
        aliases.update({alias: found[0] for alias in found[1:]})
    return infos, aliases


def _module_unit(
    sym: HarnessSymbols, mod: ModuleInfo, as_script: bool
) -> tuple[list[str], list[int]]:
    em = Emitter(sym, mod)
    for stmt in mod.tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if is_main_guard(stmt) and not as_script:
            continue
        em.stmt(stmt)
    return em.tokens, em.lines


def _units(sym: HarnessSymbols, reach: Reachability) -> tuple[list[Unit], int]:
    units: list[Unit] = []
    total = 0
    for mod in sym.infos:
        total += 1 + len(mod.functions) + len(mod.classes)
        total += sum(len(list(iter_methods(c))) for c in mod.classes.values())
        if mod.name in reach.modules:
            tokens, lines = _module_unit(sym, mod, mod.name in reach.scripts)
            if tokens:
                units.append(Unit(mod.file, "module", mod.name, tuple(tokens), tuple(lines)))
        for name, fn in mod.functions.items():
            if (mod.name, name) in reach.defs:
                em = Emitter(sym, mod)
                em.function(fn)
                units.append(
                    Unit(
                        mod.file,
                        "function",
                        f"{mod.name}.{name}",
                        tuple(em.tokens),
                        tuple(em.lines),
                    )
                )
        for name, cls in mod.classes.items():
            if (mod.name, name) not in reach.defs:
                continue
            em = Emitter(sym, mod)
            em.class_header(cls)
            units.append(
                Unit(mod.file, "class", f"{mod.name}.{name}", tuple(em.tokens), tuple(em.lines))
            )
            for method in iter_methods(cls):
                if (mod.name, name, method.name) in reach.methods:
                    em = Emitter(sym, mod)
                    em.function(method)
                    units.append(
                        Unit(
                            mod.file,
                            "method",
                            f"{mod.name}.{name}.{method.name}",
                            tuple(em.tokens),
                            tuple(em.lines),
                        )
                    )
    return units, total


def canonicalize(root: Path, *, max_depth: int = 100, max_bytes: int = 4 << 20) -> CanonicalHarness:
    """Canonical form of the harness unpacked at `root` (never runs its code)."""
    sources = _sources(root, max_depth, max_bytes)
    entrypoint = read_entrypoint(root)
    infos, aliases = _module_infos(sources, entrypoint)
    sym = HarnessSymbols(infos, aliases)
    entry = next((m.name for m in infos if m.rel == entrypoint), None)
    reach = reachable(sym, entry)
    units, total = _units(sym, reach)
    units.sort(key=lambda u: (u.text, u.name))
    return CanonicalHarness(
        files=tuple(s.rel for s in sources),
        units=tuple(units),
        total_units=total,
        entrypoint=entrypoint,
        entry_found=entry is not None,
    )
