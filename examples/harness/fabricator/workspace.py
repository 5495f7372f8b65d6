"""A virtual repository: what the simulated tools read, list, search and write.

Tool results are computed from this state rather than typed by hand, so a `search` finds
the line that `read_file` shows, and a file reads back exactly what was written to it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field


@dataclass
class Workspace:
    """Files of the repository the agent works in; `runnable` files make up a test run."""

    files: dict[str, str]
    runnable: set[str] = field(default_factory=set)

    def read(self, path: str) -> str:
        return self.files[path]

    def exists(self, path: str) -> bool:
        return path in self.files

    def write(self, path: str, content: str, *, runnable: bool = False) -> None:
        self.files[path] = content
        if runnable:
            self.runnable.add(path)

    def snapshot(self) -> dict[str, str]:
        """The files a test run needs, with their current content."""
        return {p: self.files[p] for p in sorted(self.runnable)}

    def listing(self, path: str = ".") -> list[str]:
        """Entries directly under `path`; directories end with '/'."""
        prefix = "" if path in (".", "", "./") else path.rstrip("/") + "/"
        entries: set[str] = set()
        for name in self.files:
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix) :]
            head, sep, _ = rest.partition("/")
            entries.add(head + "/" if sep else head)
        return sorted(entries, key=lambda e: (not e.endswith("/"), e))

    def tree(self) -> list[str]:
        """Every file path, sorted: what `find . -type f` would print."""
        return sorted(self.files)

    def grep(self, needle: str, glob_suffix: str | None = None) -> list[str]:
        """`path:line:text` for every line containing `needle` (plain substring)."""
        hits: list[str] = []
        for path in sorted(self.files):
            if glob_suffix and not path.endswith(glob_suffix):
                continue
            for number, line in enumerate(self.files[path].splitlines(), start=1):
                if needle in line:
                    hits.append(f"{path}:{number}:{line.rstrip()}")
        return hits


def numbered(text: str, start: int = 1) -> str:
    """`cat -n` style rendering, as many agent read tools return it."""
    lines = text.splitlines()
    return "\n".join(f"{n:>6}\t{line}" for n, line in enumerate(lines, start=start))


def unified_diff(path: str, old: str, new: str) -> str:
    """A git-style unified diff of one file (an empty `old` means a new file)."""
    before = old.splitlines(keepends=True) if old else []
    after = new.splitlines(keepends=True)
    src = f"a/{path}" if old else "/dev/null"
    lines = list(difflib.unified_diff(before, after, fromfile=src, tofile=f"b/{path}", n=3))
    out = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return f"diff --git a/{path} b/{path}\n" + out


def edit_region(old: str, new: str) -> tuple[str, str]:
    """Smallest `(old_str, new_str)` replacement turning `old` into `new`.

    The region is widened with context lines until `old_str` is non-empty and occurs
    exactly once in `old`, which is what a str-replace editor tool requires.
    """
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    for ctx in range(0, max(len(a), 1) + 1):
        start = max(0, head - ctx)
        extra = min(ctx, tail)
        old_str = "".join(a[start : len(a) - tail + extra])
        new_str = "".join(b[start : len(b) - tail + extra])
        if old_str.strip() and old.count(old_str) == 1:
            return old_str, new_str
    return old, new
