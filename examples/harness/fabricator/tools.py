"""Tool declarations (with JSON Schemas) and the toolsets an agent may be given.

Scenarios never name a concrete tool: they ask `Ops` to read, list, search, write, change
a file or run something, and the conversation's toolset decides which tool call that is
and what its result looks like (a str-replace editor, a patch tool, or a bare shell). The
same scenario therefore yields structurally different transcripts.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from fabricator.convo import Call, PendingRun
from fabricator.workspace import Workspace, edit_region, numbered, unified_diff


def _fn(name: str, description: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": props,
                "required": required,
                "additionalProperties": False,
            },
        },
    }


_PATH = {"type": "string", "description": "Path relative to the repository root."}

TOOL_SPECS: dict[str, dict[str, Any]] = {
    "read_file": _fn(
        "read_file",
        "Read a text file from the repository.",
        {
            "path": _PATH,
            "start_line": {"type": "integer", "minimum": 1, "description": "First line (1-based)."},
            "end_line": {"type": "integer", "minimum": 1, "description": "Last line, inclusive."},
        },
        ["path"],
    ),
    "write_file": _fn(
        "write_file",
        "Create or overwrite a file with the given content.",
        {"path": _PATH, "content": {"type": "string", "description": "Full new content."}},
        ["path", "content"],
    ),
    "edit_file": _fn(
        "edit_file",
        "Replace one exact, unique occurrence of old_str in a file with new_str.",
        {
            "path": _PATH,
            "old_str": {"type": "string", "description": "Exact text to replace (unique)."},
            "new_str": {"type": "string", "description": "Replacement text."},
        },
        ["path", "old_str", "new_str"],
    ),
    "apply_patch": _fn(
        "apply_patch",
        "Apply a unified diff (git format) to the working tree.",
        {"patch": {"type": "string", "description": "Unified diff text."}},
        ["patch"],
    ),
    "list_dir": _fn(
        "list_dir",
        "List the entries of a directory; directories end with '/'.",
        {"path": _PATH},
        ["path"],
    ),
    "search": _fn(
        "search",
        "Search file contents for a literal string; returns path:line:text matches.",
        {
            "pattern": {"type": "string", "minLength": 1, "description": "Literal text."},
            "path": {"type": "string", "description": "Directory to search (default '.')."},
            "glob": {"type": "string", "description": "Only files matching this glob."},
        },
        ["pattern"],
    ),
    "run_tests": _fn(
        "run_tests",
        "Run the Python test suite with pytest and return its output.",
        {
            "path": {"type": "string", "description": "Test file or directory (default all)."},
            "extra_args": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Extra pytest arguments.",
            },
        },
        [],
    ),
    "run_command": _fn(
        "run_command",
        "Run a shell command in the repository root and return exit code and output.",
        {
            "command": {"type": "string", "minLength": 1},
            "timeout_s": {"type": "integer", "minimum": 1, "maximum": 600},
        },
        ["command"],
    ),
    "bash": _fn(
        "bash",
        "Execute a bash command in the repository and return its combined output.",
        {"command": {"type": "string", "minLength": 1, "description": "The command line."}},
        ["command"],
    ),
}


@dataclass(frozen=True)
class Toolset:
    """A named set of tools and the editing style it implies."""

    name: str
    tools: tuple[str, ...]

    def specs(self) -> list[dict[str, Any]]:
        return [TOOL_SPECS[t] for t in self.tools]


TOOLSETS: tuple[Toolset, ...] = (
    Toolset(
        "workbench", ("read_file", "write_file", "list_dir", "search", "run_tests", "run_command")
    ),
    Toolset(
        "editor", ("read_file", "edit_file", "write_file", "search", "list_dir", "run_command")
    ),
    Toolset("patcher", ("read_file", "apply_patch", "search", "list_dir", "run_command")),
    Toolset("shell", ("bash", "write_file")),
)


def _glob(suffix: str | None) -> str | None:
    return f"*{suffix}" if suffix else None


class Ops:
    """Abstract agent actions rendered as calls of the conversation's toolset."""

    def __init__(self, toolset: Toolset, ws: Workspace, style: int) -> None:
        self.ts = toolset
        self.ws = ws
        self.style = style  # small per-conversation variation (read commands, arg shapes)

    @property
    def name(self) -> str:
        return self.ts.name

    def writes_whole_files(self) -> bool:
        """True when changes are sent as full file content (so the code sits in the args)."""
        return self.ts.name in ("workbench", "shell")

    # -- reading -------------------------------------------------------------------------
    def read(self, path: str) -> Call:
        text = self.ws.read(path)
        if self.ts.name == "shell":
            if self.style % 2:
                return Call("bash", {"command": f"nl -ba {shlex.quote(path)}"}, numbered(text))
            return Call("bash", {"command": f"cat {shlex.quote(path)}"}, text)
        if self.ts.name == "editor":
            return Call("read_file", {"path": path}, numbered(text))
        return Call("read_file", {"path": path}, text)

    def ls(self, path: str = ".") -> Call:
        if self.ts.name == "shell":
            if self.style % 2:
                cmd = "find . -type f -not -path './.git/*' | sort"
                return Call("bash", {"command": cmd}, "\n".join("./" + p for p in self.ws.tree()))
            return Call("bash", {"command": "git ls-files"}, "\n".join(self.ws.tree()))
        entries = self.ws.listing(path)
        return Call("list_dir", {"path": path}, "\n".join(entries) or "(empty)")

    def search(self, needle: str, suffix: str | None = None) -> Call:
        hits = self.ws.grep(needle, suffix)
        if self.ts.name == "shell":
            include = f" --include='*{suffix}'" if suffix else ""
            cmd = f"grep -rn {shlex.quote(needle)}{include} ."
            return Call("bash", {"command": cmd}, "\n".join("./" + h for h in hits))
        args: dict[str, Any] = {"pattern": needle}
        if suffix:
            args["glob"] = _glob(suffix)
        if self.style % 2:
            args["path"] = "."
        return Call("search", args, "\n".join(hits) if hits else "No matches found.")

    # -- writing -------------------------------------------------------------------------
    def put(self, path: str, content: str, *, runnable: bool = False) -> Call:
        """Create `path` or change it to `content`, in the toolset's editing style."""
        old = self.ws.files.get(path)
        if old is None and self.ts.name == "patcher":
            return self.create(path, content, runnable=runnable)
        self.ws.write(path, content, runnable=runnable)
        n_lines = len(content.splitlines())
        if old is None or self.writes_whole_files():
            verb = "Created" if old is None else "Wrote"
            return Call(
                "write_file",
                {"path": path, "content": content},
                f"{verb} {path} ({n_lines} lines, {len(content.encode())} bytes)",
            )
        if self.ts.name == "editor":
            old_str, new_str = edit_region(old, content)
            delta = len(new_str.splitlines()) - len(old_str.splitlines())
            return Call(
                "edit_file",
                {"path": path, "old_str": old_str, "new_str": new_str},
                f"Edited {path}: replaced 1 occurrence ({delta:+d} lines). "
                f"File now has {n_lines} lines.",
            )
        patch = unified_diff(path, old, content)
        added = sum(
            1 for ln in patch.splitlines() if ln.startswith("+") and not ln.startswith("+++")
        )
        removed = sum(
            1 for ln in patch.splitlines() if ln.startswith("-") and not ln.startswith("---")
        )
        return Call(
            "apply_patch", {"patch": patch}, f"Applied patch: M {path} (+{added} -{removed})"
        )

    def create(self, path: str, content: str, *, runnable: bool = False) -> Call:
        """A brand-new file; the patch toolset sends it as an all-added diff."""
        if self.ts.name == "patcher" and path not in self.ws.files:
            self.ws.write(path, content, runnable=runnable)
            patch = unified_diff(path, "", content)
            return Call(
                "apply_patch",
                {"patch": patch},
                f"Applied patch: A {path} (+{len(content.splitlines())} -0)",
            )
        return self.put(path, content, runnable=runnable)

    # -- running -------------------------------------------------------------------------
    def pytest(self, run: PendingRun, target: str | None = None) -> Call:
        """Run the suite; the result is the real output of `run`, filled in later."""
        cmd = "python -m pytest -q" + (f" {target}" if target else "")
        if self.ts.name == "workbench":
            args: dict[str, Any] = {"path": target} if target else {}
            if self.style % 3 == 2:
                args["extra_args"] = ["-q"]
            return Call("run_tests", args, f"{run.output}\n[pytest exited with {run.exit_code}]")
        if self.ts.name == "shell":
            return Call("bash", {"command": cmd}, f"{run.output}\n(exit status {run.exit_code})")
        args = {"command": cmd}
        if self.style % 2:
            args["timeout_s"] = 120
        return Call("run_command", args, f"exit_code: {run.exit_code}\n{run.output}")

    def command(self, cmd: str, output: str, exit_code: int = 0) -> Call:
        """Run a non-Python command whose output the scenario supplies."""
        body = output.rstrip("\n")
        if self.ts.name == "shell":
            tail = f"\n(exit status {exit_code})" if exit_code else ""
            return Call("bash", {"command": cmd}, (body + tail) if body or tail else "(no output)")
        args: dict[str, Any] = {"command": cmd}
        if self.style % 2:
            args["timeout_s"] = 300
        return Call("run_command", args, f"exit_code: {exit_code}\n{body}".rstrip("\n"))
