"""What every per-conversation signal needs, derived once per conversation.

Signals stay small because the shared, structural reading of a conversation lives
here: the request, the final answer, the assistant turns, each tool call with its
decoded arguments, its answer and its kind (inspect / act / verify), the code the
conversation shows or writes, and the languages it really works in. Heavier derived
data (term sets of each message) is computed on first use and cached.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from dfab.scoring.extract import text as tx
from dfab.scoring.extract.text import word_list
from dfab.scoring.extract.views import CallView, ConvView, MessageView, ToolView

CallKind = Literal["inspect", "act", "verify", "other"]

_SPLIT_NAME = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_VERIFY = frozenset(
    word_list(
        "test tests pytest unittest check lint build compile verify validate typecheck mypy ruff "
        "eslint tsc jest vitest mocha flake8 pylint clippy spec"
    )
)
_ACT = frozenset(
    word_list(
        "write edit create patch apply replace insert delete remove move rename update modify "
        "save commit append mkdir install str_replace overwrite put set touch"
    )
)
_INSPECT = frozenset(
    word_list(
        "read open view cat show list ls find search grep glob get fetch query inspect describe "
        "head tail tree diff status log lookup browse print stat"
    )
)
_SHELL_TOOLS = frozenset(
    word_list("bash shell sh terminal run_command run_shell exec execute command run cmd console")
)
_SHELL_VERIFY = re.compile(
    r"(^|[;&|]\s*|\s)(pytest|py\.test|python3?\s+-m\s+(pytest|unittest|mypy|ruff|doctest)"
    r"|npm\s+(run\s+)?test|yarn\s+test|pnpm\s+test|npx\s+(jest|vitest|tsc|eslint|mocha)|jest|vitest"
    r"|go\s+(test|vet|build)|cargo\s+(test|check|build|clippy)|make(\s+\w+)?|tsc|eslint|ruff"
    r"|mypy|flake8|shellcheck|node\s+--test|bash\s+-n|docker\s+build|terraform\s+validate"
    r"|python3?\s+\S+\.py|node\s+\S+\.js|go\s+run|ctest|mvn\s+test|gradle\s+test)\b"
)
_SHELL_ACT = re.compile(
    r"(sed\s+-i|>>?\s*\S|\btee\b|\bmv\b|\bcp\b|\brm\b|\bmkdir\b|\btouch\b|\bpatch\b|git\s+apply"
    r"|git\s+commit|pip\s+install|npm\s+install|apt(-get)?\s+install|chmod|ln\s+-s|perl\s+-pi)"
)
_SHELL_INSPECT = re.compile(
    r"^\s*(cat|ls|find|grep|rg|head|tail|nl|sed\s+-n|less|wc|tree|git\s+(diff|log|status|show|grep"
    r"|blame)|stat|file|du|awk|jq|which|type|env|printenv|pwd|echo\s+\$)\b"
)
#: What an error *output* looks like (not code that merely names an exception class).
_ERROR_CASED = re.compile(r"^[A-Z]\w*(?:Error|Exception)(?::|$)|\bFAILED\b|\bERR!", re.M)
_ERROR_LOWER = re.compile(
    r"exit(?:ed)? (?:code|status)[: ]+[1-9]|^(?:error|fatal)\b|\berror\[\w+\]:", re.M
)
_ERROR_PHRASES = (
    "traceback (most recent call last)",
    "no such file",
    "command not found",
    "permission denied",
    "non-zero exit",
    "panicked at",
    " failed",
    "error: ",
    "fatal: ",
)
_PATH_KEYS = ("path", "file", "file_path", "filepath", "filename", "target", "target_file")
_CONTENT_KEYS = (
    "content",
    "contents",
    "file_text",
    "code",
    "source",
    "new_content",
    "text",
    "body",
    "data",
)


@dataclass(slots=True)
class Call:
    """One tool call with its answer, in conversation order."""

    index: int
    turn: int  # index into ConversationAnalysis.turns
    message_index: int
    name: str
    arguments_text: str
    arguments: Any  # decoded JSON object (dict), or None when it does not decode
    result: str = ""
    result_index: int = -1
    kind: CallKind = "other"
    _error: bool | None = None

    @property
    def is_error(self) -> bool:
        """Whether its result reads like a failure (computed once)."""
        if self._error is None:
            self._error = is_error_result(self.result)
        return self._error

    @property
    def key(self) -> str:
        """What makes two calls "the same call": the tool and its exact arguments."""
        return f"{self.name}\x00{self.arguments_text}"

    def string_arguments(self) -> list[str]:
        out: list[str] = []
        stack = [self.arguments]
        while stack:
            v = stack.pop()
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, dict):
                stack.extend(v.values())
            elif isinstance(v, list):
                stack.extend(v)
        return out


@dataclass(slots=True)
class Turn:
    """One assistant message: the reasoning before it acts, what it says, what it calls."""

    index: int
    message_index: int
    reasoning: str
    content: str
    calls: list[Call] = field(default_factory=list)
    is_final: bool = False


@dataclass(frozen=True, slots=True)
class CodePiece:
    """Code the assistant shows (a fenced block) or writes (a file in call arguments)."""

    origin: Literal["block", "file"]
    language: str | None
    code: str
    where: str


def name_words(name: str) -> set[str]:
    return {w.lower() for w in _SPLIT_NAME.findall(name.replace("-", "_"))} | {name.lower()}


def _shell_kind(command: str) -> CallKind:
    if _SHELL_VERIFY.search(command):
        return "verify"
    if _SHELL_ACT.search(command):
        return "act"
    if _SHELL_INSPECT.search(command):
        return "inspect"
    return "other"


def _command_of(arguments: dict[str, Any]) -> str:
    for key in ("command", "cmd", "script", "code", "input", "args"):
        if isinstance(arguments.get(key), str):
            return arguments[key]
    return next((v for v in arguments.values() if isinstance(v, str)), "")


def classify_call(name: str, description: str, arguments: Any) -> CallKind:
    """What a call does in the agent loop, from its tool's name and description.

    Generic shell tools are classified by the command they run.
    """
    lname = name.lower()
    shell = lname in _SHELL_TOOLS or "shell" in lname or "bash" in lname
    if (shell or lname.startswith("run_c")) and isinstance(arguments, dict):
        kind = _shell_kind(_command_of(arguments))
        if kind != "other":
            return kind
    words = name_words(name)
    for vocab, kind in ((_VERIFY, "verify"), (_ACT, "act"), (_INSPECT, "inspect")):
        if words & vocab:
            return kind  # type: ignore[return-value]
    desc = set(tx.WORD_RE.findall(description.lower()[:300]))
    for vocab, kind in ((_VERIFY, "verify"), (_ACT, "act"), (_INSPECT, "inspect")):
        if desc & vocab:
            return kind  # type: ignore[return-value]
    return "other"


def is_error_result(text: str) -> bool:
    """Whether a tool result reads like a failure (an exception, a failed test, exit != 0)."""
    head = text[:3000]
    if _ERROR_CASED.search(head):
        return True
    low = head.lower()
    return any(p in low for p in _ERROR_PHRASES) or bool(_ERROR_LOWER.search(low))


class ConversationAnalysis:
    """The structural reading of one conversation, shared by all its signals."""

    def __init__(self, view: ConvView) -> None:
        self.view = view
        self.id = view.id
        self.tools: dict[str, ToolView] = {t.name: t for t in view.tools}
        msgs = view.messages
        self.messages: tuple[MessageView, ...] = msgs
        self.system = msgs[0].content if msgs and msgs[0].role == "system" else ""
        first_user = next((i for i, m in enumerate(msgs) if m.role == "user"), None)
        self.request_index = first_user if first_user is not None else 0
        self.request = tx.cap(msgs[self.request_index].content) if msgs else ""
        self.final = tx.cap(msgs[-1].content, 60_000) if msgs else ""
        self.final_length = len(msgs[-1].content) if msgs else 0
        self.turns: list[Turn] = []
        self.calls: list[Call] = []
        by_id: dict[str, Call] = {}
        for i, m in enumerate(msgs):
            if m.role == "assistant":
                turn = Turn(len(self.turns), i, tx.cap(m.reasoning), tx.cap(m.content))
                for cv in m.calls:
                    call = self._call(cv, turn, i)
                    turn.calls.append(call)
                    self.calls.append(call)
                    by_id[cv.id] = call
                self.turns.append(turn)
            elif m.role == "tool" and m.tool_call_id in by_id:
                call = by_id[m.tool_call_id]
                call.result = tx.cap(m.content)
                call.result_index = i
        if self.turns and self.turns[-1].message_index == len(msgs) - 1:
            self.turns[-1].is_final = True

    def _call(self, cv: CallView, turn: Turn, message_index: int) -> Call:
        try:
            args = json.loads(cv.arguments)
        except (ValueError, RecursionError):
            args = None
        tool = self.tools.get(cv.name)
        kind = classify_call(cv.name, tool.description if tool else "", args)
        return Call(
            len(self.calls), turn.index, message_index, cv.name, cv.arguments, args, kind=kind
        )

    # ------------------------------------------------------------------ derived, cached

    @cached_property
    def action_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.calls]

    @cached_property
    def code(self) -> list[CodePiece]:
        """Fenced blocks of assistant messages and whole files written through calls."""
        pieces: list[CodePiece] = []
        for turn in self.turns:
            for block in tx.code_blocks(turn.content):
                pieces.append(
                    CodePiece(
                        "block", block.language, block.body, f"messages[{turn.message_index}]"
                    )
                )
        for call in self.calls:
            for path, content in written_files(call.arguments):
                pieces.append(
                    CodePiece(
                        "file",
                        tx.path_language(path),
                        content,
                        f"messages[{call.message_index}] {call.name}({path})",
                    )
                )
        return pieces

    @cached_property
    def language_evidence(self) -> Counter[str]:
        """Language -> weight of the evidence that the conversation works in it."""
        ev: Counter[str] = Counter()
        for piece in self.code:
            if piece.language and piece.code.count("\n") >= 2:  # a one-liner proves little
                ev[piece.language] += 3 if piece.origin == "file" else 2
        for call in self.calls:
            for s in call.string_arguments():
                for p in tx.paths(s[:2000]):
                    lang = tx.path_language(p)
                    if lang:
                        ev[lang] += 1
        for p in tx.paths(self.request):
            lang = tx.path_language(p)
            if lang:
                ev[lang] += 1
        ver = self.view.verification
        if ver:
            for p in ver.get("files") or {}:
                lang = tx.path_language(p)
                if lang:
                    ev[lang] += 2
        return ev

    @cached_property
    def languages(self) -> list[str]:
        """Programming languages with solid evidence (code or files), strongest first."""
        ev = self.language_evidence
        found = [
            (w, lang) for lang, w in ev.items() if w >= 2 and lang not in tx.NON_CODE_LANGUAGES
        ]
        return [lang for _, lang in sorted(found, key=lambda x: (-x[0], x[1]))]

    @cached_property
    def request_terms(self) -> set[str]:
        return tx.salient_terms(self.request)

    @cached_property
    def request_anchors(self) -> set[str]:
        """The concrete things the request names: identifiers, backticked spans, paths."""
        return {a.lower() for a in tx.identifiers(self.request)} | {
            p.lower() for p in tx.paths(self.request)
        }

    @cached_property
    def final_terms(self) -> set[str]:
        return tx.salient_terms(self.final)

    def message_terms(self, index: int) -> set[str]:
        """Salient terms of one message: content, reasoning and call arguments."""
        cache = self.__dict__.setdefault("_terms", {})
        hit = cache.get(index)
        if hit is None:
            m = self.messages[index]
            parts = [tx.cap(m.content), tx.cap(m.reasoning)]
            parts += [tx.cap(c.arguments, 4000) for c in m.calls]
            hit = tx.salient_terms("\n".join(parts))
            cache[index] = hit
        return hit

    def call_terms(self, call: Call) -> set[str]:
        cache = self.__dict__.setdefault("_call_terms", {})
        hit = cache.get(call.index)
        if hit is None:
            hit = cache[call.index] = tx.salient_terms(
                call.name + "\n" + "\n".join(s[:4000] for s in call.string_arguments())
            )
        return hit

    def result_terms(self, call: Call) -> set[str]:
        cache = self.__dict__.setdefault("_result_terms", {})
        hit = cache.get(call.index)
        if hit is None:
            hit = cache[call.index] = tx.salient_terms(call.result)
        return hit

    @cached_property
    def context_terms(self) -> set[str]:
        """Terms of everything that is not assistant reasoning: what reasoning can refer to."""
        out = set(self.request_terms)
        for call in self.calls:
            out |= self.call_terms(call)
            out |= self.result_terms(call)
        for turn in self.turns:
            out |= tx.salient_terms(turn.content)
        return out


def written_files(arguments: Any) -> list[tuple[str, str]]:
    """(path, content) pairs a call writes whole, recognised by its argument names."""
    if not isinstance(arguments, dict):
        return []
    path = next((arguments[k] for k in _PATH_KEYS if isinstance(arguments.get(k), str)), None)
    content = next((arguments[k] for k in _CONTENT_KEYS if isinstance(arguments.get(k), str)), None)
    if path and content is not None:
        return [(path, content)]
    files = arguments.get("files")
    if isinstance(files, dict):
        return [(p, c) for p, c in files.items() if isinstance(c, str)]
    return []
