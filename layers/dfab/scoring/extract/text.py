"""Shared text vocabulary: tokens, salient terms, code fences, file paths and languages.

Every signal that reads text goes through these helpers, so "a term", "a path" or "a
Python block" means the same thing in every signal. Regexes are compiled once; helpers
work on capped text so one huge message cannot dominate the scorer's time.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from functools import lru_cache

#: Longest slice of one message any per-conversation analysis reads.
MESSAGE_CAP = 12_000


def word_list(words: str) -> list[str]:
    """A vocabulary written as one whitespace-separated string (easier to read and edit)."""
    return words.split()


WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: A code-ish identifier: snake_case, camelCase, dotted access or a call.
IDENT_RE = re.compile(
    r"\b(?:[A-Za-z]+_[A-Za-z0-9_]+|[a-z]+[A-Z][A-Za-z0-9]*|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+"
    r"|[A-Za-z_]\w*(?=\())"
)
BACKTICK_RE = re.compile(r"`([^`\n]{1,120})`")
#: An opening or closing fence line (matched line by line: linear time on any input).
FENCE_LINE_RE = re.compile(r"[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)")
ERROR_NAME_RE = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Warning)\b|\bTraceback\b")
NUMBER_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")

#: File extension -> language. Extensions that name no programming language are absent.
EXTENSION_LANGUAGE: dict[str, str] = {
    "py": "python",
    "pyi": "python",
    "ipynb": "python",
    "js": "javascript",
    "mjs": "javascript",
    "cjs": "javascript",
    "jsx": "javascript",
    "ts": "typescript",
    "tsx": "typescript",
    "mts": "typescript",
    "go": "go",
    "rs": "rust",
    "java": "java",
    "kt": "kotlin",
    "kts": "kotlin",
    "scala": "scala",
    "c": "c",
    "h": "c",
    "cc": "cpp",
    "cpp": "cpp",
    "cxx": "cpp",
    "hpp": "cpp",
    "cs": "csharp",
    "rb": "ruby",
    "php": "php",
    "swift": "swift",
    "sh": "shell",
    "bash": "shell",
    "zsh": "shell",
    "sql": "sql",
    "yml": "yaml",
    "yaml": "yaml",
    "tf": "terraform",
    "hcl": "terraform",
    "html": "html",
    "css": "css",
    "scss": "css",
    "vue": "javascript",
    "svelte": "javascript",
    "lua": "lua",
    "r": "r",
    "jl": "julia",
    "dart": "dart",
    "ex": "elixir",
    "exs": "elixir",
    "hs": "haskell",
    "ml": "ocaml",
    "clj": "clojure",
    "pl": "perl",
    "json": "json",
    "toml": "toml",
    "xml": "xml",
    "ini": "config",
    "cfg": "config",
    "md": "markdown",
    "rst": "markdown",
    "txt": "text",
    "csv": "data",
    "lock": "config",
}
#: Special file names that carry a language without an extension.
FILENAME_LANGUAGE: dict[str, str] = {
    "dockerfile": "docker",
    "makefile": "make",
    "containerfile": "docker",
    "jenkinsfile": "groovy",
}
#: Fence info string -> language.
FENCE_LANGUAGE: dict[str, str] = {
    **{k: v for k, v in EXTENSION_LANGUAGE.items()},
    "python": "python",
    "python3": "python",
    "py3": "python",
    "pycon": "python",
    "javascript": "javascript",
    "node": "javascript",
    "typescript": "typescript",
    "golang": "go",
    "rust": "rust",
    "shell": "shell",
    "console": "shell",
    "shell-session": "shell",
    "sh-session": "shell",
    "powershell": "shell",
    "ps1": "shell",
    "dockerfile": "docker",
    "docker": "docker",
    "makefile": "make",
    "make": "make",
    "kotlin": "kotlin",
    "csharp": "csharp",
    "c++": "cpp",
    "ruby": "ruby",
    "terraform": "terraform",
    "postgresql": "sql",
    "postgres": "sql",
    "mysql": "sql",
    "sqlite": "sql",
    "plpgsql": "sql",
    "jsonc": "json",
    "json5": "json",
    "diff": "diff",
    "patch": "diff",
    "text": "text",
    "txt": "text",
    "plaintext": "text",
    "output": "text",
    "log": "text",
}
#: Languages that are not programming work on their own (data, prose, output).
NON_CODE_LANGUAGES = frozenset({"markdown", "text", "data", "json", "toml", "config", "diff"})

#: Paths are found token by token: split on delimiters, keep tokens shaped like a path,
#: look the extension up (a regex alternation of every extension is much slower).
_PATH_SPLIT = re.compile(r"[\s\"'`()\[\]{},;:<>=|*!?#@$%^&+\\]+")
_PATH_CANDIDATE = re.compile(r"(?<![\w/-])[\w/-]*[\w-]\.[A-Za-z][\w.]*")
_PATH_TOKEN = re.compile(r"(?:[\w.-]+/)*[\w-][\w.-]*\.([A-Za-z][A-Za-z0-9]{0,5})")
_SPECIAL_NAMES = ("Dockerfile", "Makefile", "Containerfile", "Jenkinsfile")

#: English function words and generic agent chatter: never salient on their own.
STOPWORDS = frozenset(
    word_list(
        "a about above after again against all also am an and any are as at be because been "
        "before being below between both but by can could did do does doing done down during each "
        "few for from further had has have having he her here hers him his how i if in into is it "
        "its itself just let me more most my no nor not now of off on once only or other our ours "
        "out over own same she should so some such than that the their them then there these they "
        "this those through to too under until up very was we were what when where which while "
        "who whom why will with would you your yours yourself ok okay yes sure please thanks "
        "thank first next now need needs want wants like look looking going get got make made use "
        "used using one two way thing things sure well able really actually just still already "
        "i'll i'm let's that's it's don't doesn't isn't can't won't we'll here's there's"
    )
)
#: Keywords of the usual languages: structure, not content.
CODE_KEYWORDS = frozenset(
    {
        *keyword.kwlist,
        *word_list(
            "function const let var return if else for while class new this import export from "
            "async await try catch throw typeof interface type extends implements public private "
            "protected static void int string bool boolean func package struct defer chan map "
            "range select case switch default fn mut impl pub use mod match enum trait where self "
            "crate echo then fi do done esac set unset local true false null none nil undefined"
        ),
    }
)


def cap(text: str | None, limit: int = MESSAGE_CAP) -> str:
    """The analysed slice of a text: its head, never more than `limit` characters."""
    if not text:
        return ""
    return text if len(text) <= limit else text[:limit]


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


_IGNORED = STOPWORDS | CODE_KEYWORDS


@lru_cache(maxsize=8192)
def salient_terms(text: str) -> frozenset[str]:
    """Lower-cased terms that can tie two texts together: identifiers and content words.

    Short words, stopwords and language keywords are left out, so two texts share a
    salient term only when they talk about the same thing (a path shares its stem:
    `listing.py` gives `listing`). Cached: several signals read the same messages.
    """
    unique = set(WORD_RE.findall(text.lower()))
    return frozenset({w for w in unique if len(w) >= 4} - _IGNORED)


@lru_cache(maxsize=8192)
def lower_words(text: str) -> tuple[str, ...]:
    """The words of a text, lower-cased (cached: several signals count the same texts)."""
    return tuple(WORD_RE.findall(text.lower()))


def word_count(text: str) -> int:
    return len(lower_words(text)) if text else 0


@lru_cache(maxsize=8192)
def stemmed(terms: frozenset[str]) -> frozenset[str]:
    """Terms with a plural `s` dropped (`tests` meets `test`). Cached per term set."""
    return frozenset(t[:-1] if t.endswith("s") and len(t) > 4 else t for t in terms)


@lru_cache(maxsize=4096)
def identifiers(text: str) -> frozenset[str]:
    """Code identifiers (snake_case, camelCase, dotted, called) and backticked spans."""
    found = set(IDENT_RE.findall(text))
    if "`" in text:
        for span in BACKTICK_RE.findall(text):
            found.update(w for w in WORD_RE.findall(span) if len(w) >= 3)
    return frozenset(f for f in found if f.lower() not in STOPWORDS)


@lru_cache(maxsize=4096)
def paths(text: str) -> tuple[str, ...]:
    """File paths with a known extension or a well-known extension-less name."""
    found = []
    for tok in _PATH_CANDIDATE.findall(text):
        tok = tok.strip(".-")
        m = _PATH_TOKEN.fullmatch(tok)
        if m and m.group(1).lower() in EXTENSION_LANGUAGE:
            found.append(tok)
    if any(name in text for name in _SPECIAL_NAMES):
        found += [t for t in _PATH_SPLIT.split(text) if t.rsplit("/", 1)[-1] in _SPECIAL_NAMES]
    return tuple(found)


def path_language(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1].lower()
    if name in FILENAME_LANGUAGE:
        return FILENAME_LANGUAGE[name]
    if "." not in name:
        return None
    return EXTENSION_LANGUAGE.get(name.rsplit(".", 1)[-1])


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A fenced block: its declared language (normalized, or None) and its body."""

    language: str | None
    body: str


def _fenced(text: str) -> tuple[list[CodeBlock], str]:
    """(blocks, prose): one pass over the lines, so no input can make it quadratic.

    A fence opens with 3+ backticks or tildes (up to 3 spaces of indent) and closes with a
    line of the same character, at least as long. An unclosed fence is prose.
    """
    blocks: list[CodeBlock] = []
    prose: list[str] = []
    opened: tuple[str, str] | None = None
    body: list[str] = []
    pending: list[str] = []
    for line in text.split("\n"):
        m = FENCE_LINE_RE.match(line)
        if opened is None:
            if m:
                opened = (m.group(1), m.group(2))
                body, pending = [], [line]
            else:
                prose.append(line)
            continue
        pending.append(line)
        fence, info = opened
        if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2):
            key = info.strip().lower().lstrip("{.").rstrip("}")
            blocks.append(
                CodeBlock(FENCE_LANGUAGE.get(key) if key else None, "\n".join(body) + "\n")
            )
            prose.append("")
            opened = None
        else:
            body.append(line)
    if opened is not None:
        prose.extend(pending)
    return blocks, "\n".join(prose)


@lru_cache(maxsize=2048)
def _fenced_cached(text: str) -> tuple[tuple[CodeBlock, ...], str]:
    blocks, prose = _fenced(text)
    return tuple(blocks), prose


def code_blocks(text: str) -> list[CodeBlock]:
    """Fenced code blocks (``` or ~~~) with their languages."""
    if "```" not in text and "~~~" not in text:
        return []
    return list(_fenced_cached(text)[0])


def strip_code(text: str) -> str:
    """The prose of a text: fenced blocks removed."""
    if "```" not in text and "~~~" not in text:
        return text
    return _fenced_cached(text)[1]


def normalize_language(name: str) -> str:
    """A declared language name in the scorer's vocabulary (`py` -> `python`)."""
    key = name.strip().lower()
    return FENCE_LANGUAGE.get(key, key)
