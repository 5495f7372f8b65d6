"""Does a piece of code parse? Real parsers where the standard library has one.

Python goes through `ast` (fragments are dedented and REPL prompts stripped first),
JSON through `json`, TOML through `tomllib`, YAML through PyYAML's safe loader. Brace
languages (JavaScript, TypeScript, Go, Rust, Java, C, ...) get a lexer-level check: strings
and comments skipped, brackets balanced.
That is weaker than a parser, but it is what catches truncated or spliced code, and it
never rejects code a compiler would accept. Anything else is "not checked".
"""

from __future__ import annotations

import ast
import json
import textwrap
import tomllib
import warnings

import yaml

#: Parse at most this much code of one block (the head); bigger blocks are cut at a line.
BLOCK_CAP = 40_000

_BRACE_LANGUAGES = frozenset(
    {
        "javascript",
        "typescript",
        "go",
        "rust",
        "java",
        "kotlin",
        "scala",
        "c",
        "cpp",
        "csharp",
        "swift",
        "php",
        "dart",
        "css",
        "terraform",
        "groovy",
    }
)
CHECKABLE = frozenset({"python", "json", "toml", "yaml"}) | _BRACE_LANGUAGES


def _head(code: str) -> tuple[str, bool]:
    if len(code) <= BLOCK_CAP:
        return code, False
    return code[: code.rfind("\n", 0, BLOCK_CAP) + 1 or BLOCK_CAP], True


def _python(code: str) -> str | None:
    lines = code.split("\n")
    if any(line.startswith(">>> ") for line in lines):
        lines = [ln[4:] for ln in lines if ln.startswith((">>> ", "... "))]
    src = textwrap.dedent("\n".join(lines))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes is not an error
            ast.parse(src)
    except SyntaxError as exc:
        return f"Python syntax error line {exc.lineno}: {exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"Python cannot be parsed: {type(exc).__name__}"
    return None


def _balanced(code: str, language: str) -> str | None:
    """Brackets balance outside strings and comments (a lexer, not a parser)."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    i, n = 0, len(code)
    hash_comments = language == "php"
    while i < n:
        c = code[i]
        if c == "'" and language == "rust" and not (i + 2 < n and "'" in code[i + 2 : i + 4]):
            i += 1  # a lifetime ('a), not a char literal
            continue
        if c in "\"'`":
            j = i + 1
            while j < n and code[j] != c:
                if code[j] == "\\":
                    j += 1
                elif code[j] == "\n" and c != "`":
                    break  # an unclosed one-line string: an apostrophe in prose
                j += 1
            i = j + 1
            continue
        if c == "#" and hash_comments:
            j = code.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c == "/" and i + 1 < n and code[i + 1] in "/*":
            if code[i + 1] == "/":
                j = code.find("\n", i)
                i = n if j < 0 else j + 1
                continue
            j = code.find("*/", i + 2)
            if j < 0:
                return "unterminated /* comment"
            i = j + 2
            continue
        if c in "([{":
            stack.append(c)
        elif c in ")]}":
            if not stack or stack[-1] != pairs[c]:
                return f"unbalanced {c!r}"
            stack.pop()
        i += 1
    if stack:
        return f"{len(stack)} unclosed bracket(s)"
    return None


def code_problem(language: str, code: str) -> str | None:
    """Why `code` does not parse as `language`, or None when it does (or is unchecked)."""
    code, _ = _head(code)
    if not code.strip():
        return "empty code block"
    try:
        if language == "python":
            return _python(code)
        if language == "json":
            json.loads(code)
        elif language == "toml":
            tomllib.loads(code)
        elif language == "yaml":
            for _ in yaml.safe_load_all(code):
                pass
        elif language in _BRACE_LANGUAGES:
            return _balanced(code, language)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        return f"{language} does not parse: {first}"
    return None
