"""Reading a harness tree: which files it holds and their parsed Python sources.

Shared by the review and the originality fingerprints so both see exactly the same
files. Parsing untrusted code must never take the process down: syntax errors, NUL
bytes, and inputs too deep for the parser all become a recorded error, and the
nesting depth is measured without recursion before anything recursive walks a tree.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
import tomllib
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "harness.toml"
DEFAULT_ENTRYPOINT = "generate.py"


@dataclass(frozen=True)
class SourceFile:
    """One `.py` file: its bytes and either a syntax tree or why there is none."""

    rel: str
    data: bytes
    tree: ast.Module | None
    error: str | None = None
    error_line: int = 0
    depth: int = 0

    @property
    def ok(self) -> bool:
        return self.tree is not None


def harness_files(root: Path, skip_dirs: Iterable[str] = ()) -> list[str]:
    """Every regular file under `root` (POSIX relative paths, sorted); links are skipped."""
    skipped = frozenset(skip_dirs)
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in skipped)
        base = Path(dirpath)
        for name in filenames:
            path = base / name
            if path.is_symlink() or not path.is_file():
                continue
            out.append(path.relative_to(root).as_posix())
    return sorted(out)


def ast_depth(tree: ast.AST) -> int:
    """Deepest nesting of the tree, computed iteratively (deep trees are the threat)."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _decode(data: bytes) -> str:
    """Source text as Python reads it (PEP 263 cookie, UTF-8 by default); ValueError if not."""
    if b"\0" in data:
        raise ValueError("the file contains NUL bytes")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot decode it: {exc}") from None


def parse_source(rel: str, data: bytes, max_depth: int) -> SourceFile:
    """Parse `data`; trees deeper than `max_depth` are reported, not returned."""
    try:
        text = _decode(data)
    except ValueError as exc:
        return SourceFile(rel, data, None, f"not valid source: {exc}", 0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences etc. are not our concern
            tree = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        return SourceFile(rel, data, None, f"syntax error: {exc.msg}", exc.lineno or 0)
    except ValueError as exc:
        return SourceFile(rel, data, None, f"not valid source: {exc}", 0)
    except (RecursionError, MemoryError):
        return SourceFile(rel, data, None, "nesting too deep for the parser", 0, max_depth + 1)
    depth = ast_depth(tree)
    if depth > max_depth:
        return SourceFile(rel, data, None, f"syntax tree depth {depth}", 0, depth)
    return SourceFile(rel, data, tree, depth=depth)


def read_entrypoint(root: Path) -> str:
    """The manifest's entrypoint, or `generate.py` when the manifest cannot say."""
    try:
        data = tomllib.loads((root / MANIFEST).read_text(encoding="utf-8"))
        entry = data["harness"]["entrypoint"]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return DEFAULT_ENTRYPOINT
    return entry if isinstance(entry, str) and entry.endswith(".py") else DEFAULT_ENTRYPOINT


def load_sources(
    root: Path, files: Iterable[str], max_depth: int, max_total_bytes: int | None = None
) -> list[SourceFile]:
    """Parse the `.py` files among `files`; stop reading once `max_total_bytes` is spent."""
    out: list[SourceFile] = []
    spent = 0
    for rel in files:
        if not rel.endswith(".py"):
            continue
        data = (root / rel).read_bytes()
        spent += len(data)
        if max_total_bytes is not None and spent > max_total_bytes:
            break
        out.append(parse_source(rel, data, max_depth))
    return out
