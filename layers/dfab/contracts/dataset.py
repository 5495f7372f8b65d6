"""One dataset line: an OpenAI-compatible agentic coding conversation (CONTRACTS.md §3).

Two layers: pydantic models check the *shape* of a line (types, enums, sizes) and
normalize the accepted aliases; `conversation_rules` then checks the rules that span
several fields (role order, call/answer pairing, solution files). `parse_conversation`
runs both and is the only entry point the parser uses, so a line is judged one way only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = 1
#: Deepest nesting allowed in free-form JSON (metadata, tool schemas, call arguments):
#: keeps every check recursion-free and the verdict the same on every machine.
MAX_JSON_DEPTH = 64
Role = Literal["system", "user", "assistant", "tool"]
Difficulty = Literal["easy", "medium", "hard"]


@dataclass(frozen=True)
class DatasetLimits:
    """Per-line limits; defaults are the contract's, validators may change them in config."""

    max_line_bytes: int = 2 * 1024 * 1024
    min_messages: int = 2
    max_messages: int = 512
    max_id_chars: int = 128
    max_metadata_bytes: int = 64 * 1024
    max_verification_file_bytes: int = 64 * 1024


@dataclass(frozen=True)
class Violation:
    """A broken rule: a stable rule id, where in the line, and what to fix."""

    rule: str
    where: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "where": self.where, "message": self.message}


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON nests deeper than `limit` (a scalar is depth 0); iterative."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below = []
        for item in level:
            for child in item.values() if isinstance(item, dict) else item:
                if isinstance(child, dict | list):
                    below.append(child)
        level = below
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_STRICT_JSON = json.JSONDecoder(parse_constant=_reject_constant)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ToolFunction(_Strict):
    """A declared function tool; `parameters` is a JSON Schema object."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)


class ToolSpec(_Strict):
    type: Literal["function"] = "function"
    function: ToolFunction


class FunctionCall(_Strict):
    """A call's function; `arguments` is always a JSON-encoded object after reading."""

    name: str = Field(min_length=1)
    arguments: str

    @field_validator("arguments", mode="before")
    @classmethod
    def _normalize_arguments(cls, value: Any) -> Any:
        if isinstance(value, dict):
            if json_depth_exceeds(value):
                raise ValueError(f"nests deeper than {MAX_JSON_DEPTH} levels")
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return value

    @field_validator("arguments")
    @classmethod
    def _json_object(cls, value: str) -> str:
        try:
            decoded = _STRICT_JSON.decode(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not valid JSON ({exc.msg} at char {exc.pos})") from exc
        except RecursionError as exc:
            raise ValueError(f"nests deeper than {MAX_JSON_DEPTH} levels") from exc
        except ValueError as exc:  # NaN/Infinity, integers over the digit limit
            raise ValueError(f"is not valid JSON ({exc})") from exc
        if not isinstance(decoded, dict):
            raise ValueError("must encode a JSON object")
        if json_depth_exceeds(decoded):
            raise ValueError(f"nests deeper than {MAX_JSON_DEPTH} levels")
        return value

    def decoded_arguments(self) -> dict[str, Any]:
        return json.loads(self.arguments)


class ToolCall(_Strict):
    id: str = Field(min_length=1, max_length=256)
    type: Literal["function"] = "function"
    function: FunctionCall


class TextPart(_Strict):
    type: Literal["text"]
    text: str


class Message(_Strict):
    """One chat message. Reasoning aliases and content parts are normalized on read."""

    role: Role
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for alias in ("reasoning", "thinking"):
            if alias in data:
                value = data.pop(alias)
                if data.get("reasoning_content") not in (None, value):
                    raise ValueError(f"both 'reasoning_content' and its alias '{alias}' are set")
                data["reasoning_content"] = value
        return data

    @field_validator("content", mode="before")
    @classmethod
    def _join_parts(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        texts: list[str] = []
        for k, part in enumerate(value):
            try:
                texts.append(TextPart.model_validate(part).text)
            except ValidationError as exc:
                raise ValueError(f"part {k} is not a {{'type': 'text', 'text': str}}") from exc
        return "\n".join(texts)

    @property
    def text(self) -> str:
        return self.content or ""


class Task(_Strict):
    """Declared hints about the task; the scorer checks them, never rewards them alone."""

    category: str | None = Field(default=None, max_length=64)
    language: str | list[str] | None = None
    difficulty: Difficulty | None = None
    summary: str | None = Field(default=None, max_length=1000)

    @field_validator("language", mode="before")
    @classmethod
    def _language_shape(cls, value: Any) -> Any:
        # One clear error instead of one per union member ("task.language.str").
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(x, str) for x in value):
            return value
        raise ValueError("must be a string or a list of strings")

    @property
    def languages(self) -> list[str]:
        if self.language is None:
            return []
        langs = [self.language] if isinstance(self.language, str) else self.language
        return [lang.strip().lower() for lang in langs if lang.strip()]


def _check_relative_path(path: str) -> None:
    if not path or path.startswith("/") or "\\" in path or re.match(r"^[A-Za-z]:", path):
        raise ValueError(f"file path {path!r} must be relative and use '/'")
    if any(ord(c) < 32 for c in path) or "\x7f" in path:
        raise ValueError(f"file path {path!r} contains control characters")
    parts = PurePosixPath(path).parts
    if any(part in ("", "..", ".") for part in path.split("/")) or not parts:
        raise ValueError(f"file path {path!r} must not contain empty, '.' or '..' components")


class Verification(_Strict):
    """A command the validator runs in the sandbox to check the conversation's code."""

    kind: Literal["command"]
    files: dict[str, str] = Field(min_length=1)
    command: list[str] = Field(min_length=1)
    timeout_s: int = Field(default=30, ge=1, le=60)
    expect_exit_code: int = Field(default=0, ge=0, le=255)
    solution_files: list[str] = Field(min_length=1)

    @field_validator("files")
    @classmethod
    def _paths(cls, files: dict[str, str]) -> dict[str, str]:
        for path in files:
            _check_relative_path(path)
        return files

    @field_validator("command")
    @classmethod
    def _command(cls, command: list[str]) -> list[str]:
        if not command[0]:
            raise ValueError("the program name must not be empty")
        return command

    @model_validator(mode="after")
    def _solution_files_named(self) -> Verification:
        missing = [f for f in self.solution_files if f not in self.files]
        if missing:
            raise ValueError(f"solution_files {missing} are not keys of files")
        return self


class Conversation(_Strict):
    """One dataset line after shape validation and normalization."""

    schema_version: Literal[1]
    id: str = Field(min_length=1)
    task: Task | None = None
    tools: list[ToolSpec] = Field(default_factory=list)
    messages: list[Message]
    verification: Verification | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("schema_version", mode="before")
    @classmethod
    def _exact_version(cls, value: Any) -> Any:
        # Literal[1] alone would also take True and 1.0 (they compare equal to 1).
        if type(value) is not int:
            raise PydanticCustomError(
                "schema_version",
                "schema_version must be the integer 1, got {value!r}",
                {"value": value},
            )
        return value

    def tool_names(self) -> set[str]:
        return {t.function.name for t in self.tools}

    @property
    def final_answer(self) -> str:
        return self.messages[-1].text if self.messages else ""


# --------------------------------------------------------------------------- rules


def normalize_code(text: str) -> str:
    """Normalization for the solution-file rule: LF endings, no trailing blanks, trimmed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [line.rstrip() for line in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _string_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _string_values(v)]
    if isinstance(value, list):
        return [s for v in value for s in _string_values(v)]
    return []


def solution_haystacks(conv: Conversation) -> list[str]:
    """Where a solution file may appear: assistant contents and call-argument strings."""
    out: list[str] = []
    for msg in conv.messages:
        if msg.role != "assistant":
            continue
        if msg.content:
            out.append(normalize_code(msg.content))
        for call in msg.tool_calls or []:
            out.extend(normalize_code(s) for s in _string_values(call.function.decoded_arguments()))
    return out


def conversation_rules(conv: Conversation, limits: DatasetLimits) -> list[Violation]:
    """Cross-field rules of CONTRACTS.md §3; returns every violation found, in order."""
    v: list[Violation] = []
    if len(conv.id) > limits.max_id_chars:
        v.append(Violation("id.length", "id", f"id is over {limits.max_id_chars} characters"))
    n = len(conv.messages)
    if not limits.min_messages <= n <= limits.max_messages:
        v.append(
            Violation(
                "messages.count",
                "messages",
                f"{n} messages; a line needs {limits.min_messages}-{limits.max_messages}",
            )
        )
        if n == 0:
            return v
    if json_depth_exceeds(conv.metadata):
        v.append(Violation("json.too_deep", "metadata", f"nests over {MAX_JSON_DEPTH} levels"))
    elif _utf8_len(json.dumps(conv.metadata, ensure_ascii=False)) > limits.max_metadata_bytes:
        v.append(Violation("metadata.size", "metadata", f"over {limits.max_metadata_bytes} bytes"))
    for t, tool in enumerate(conv.tools):
        free = [tool.function.parameters, *(tool.function.model_extra or {}).values()]
        if json_depth_exceeds(free, MAX_JSON_DEPTH + 1):
            v.append(
                Violation(
                    "json.too_deep", f"tools[{t}].function", f"nests over {MAX_JSON_DEPTH} levels"
                )
            )

    declared = conv.tool_names()
    if len(declared) != len(conv.tools):
        v.append(Violation("tools.duplicate_name", "tools", "two tools share a name"))

    msgs = conv.messages
    first = 1 if msgs[0].role == "system" else 0
    for i, msg in enumerate(msgs):
        if msg.role == "system" and i != 0:
            v.append(Violation("roles.system_not_first", f"messages[{i}]", "system only first"))
    if first >= n or msgs[first].role != "user":
        v.append(
            Violation("roles.first_not_user", f"messages[{first}]", "first non-system must be user")
        )
    last = msgs[-1]
    if last.role != "assistant" or not (last.content or "").strip():
        v.append(
            Violation(
                "roles.last_not_final_answer",
                f"messages[{n - 1}]",
                "the last message must be an assistant message with non-empty content",
            )
        )

    seen_ids: set[str] = set()
    pending: dict[str, int] = {}  # call id -> message index of the call
    for i, msg in enumerate(msgs):
        where = f"messages[{i}]"
        if msg.role != "assistant":
            if msg.tool_calls:
                v.append(Violation("tool_calls.not_assistant", where, "only assistants call"))
            if msg.reasoning_content is not None:
                v.append(Violation("reasoning.not_assistant", where, "reasoning only on assistant"))
        if msg.role == "assistant":
            if pending:
                v.append(_unanswered(pending))
                pending.clear()
            for j, call in enumerate(msg.tool_calls or []):
                cwhere = f"{where}.tool_calls[{j}]"
                if call.id in seen_ids:
                    v.append(Violation("tool_calls.duplicate_id", cwhere, f"id {call.id!r} reused"))
                seen_ids.add(call.id)
                pending[call.id] = i
                if call.function.name not in declared:
                    v.append(
                        Violation(
                            "tool_calls.undeclared_tool",
                            f"{cwhere}.function.name",
                            f"calls {call.function.name!r}, which `tools` does not declare",
                        )
                    )
        elif msg.role == "tool":
            if msg.tool_call_id is None or msg.tool_call_id not in pending:
                v.append(
                    Violation(
                        "tool.unanswered_call_id",
                        f"{where}.tool_call_id",
                        f"tool message answers no open call (tool_call_id={msg.tool_call_id!r})",
                    )
                )
            else:
                del pending[msg.tool_call_id]
            if msg.content is None:
                v.append(Violation("tool.no_content", f"{where}.content", "tool result missing"))
        elif msg.role == "user" and msg.content is None:
            v.append(Violation("user.no_content", f"{where}.content", "user message is empty"))
    if pending:
        v.append(_unanswered(pending))

    if conv.verification is not None:
        v.extend(_verification_rules(conv, limits))
    return v


def _unanswered(pending: dict[str, int]) -> Violation:
    call_id, index = next(iter(pending.items()))
    return Violation(
        "tool_calls.unanswered",
        f"messages[{index}]",
        f"call {call_id!r} gets no tool message before the next assistant message or the end",
    )


def _verification_rules(conv: Conversation, limits: DatasetLimits) -> list[Violation]:
    ver = conv.verification
    assert ver is not None
    v: list[Violation] = []
    for path, content in ver.files.items():
        if _utf8_len(content) > limits.max_verification_file_bytes:
            v.append(
                Violation(
                    "verification.file_size",
                    f"verification.files[{path!r}]",
                    f"over {limits.max_verification_file_bytes} bytes",
                )
            )
    haystacks = solution_haystacks(conv)
    for path in ver.solution_files:
        needle = normalize_code(ver.files[path])
        if not needle or not any(needle in hay for hay in haystacks):
            v.append(
                Violation(
                    "verification.solution_not_in_conversation",
                    f"verification.solution_files[{path!r}]",
                    "the file's content does not appear in an assistant message or in a "
                    "tool call's arguments",
                )
            )
    return v


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before", "function-wrap") or "[" in str(part):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(line)"


def parse_conversation(
    obj: Any, limits: DatasetLimits = DatasetLimits()
) -> tuple[Conversation | None, list[Violation]]:
    """Validate one decoded line: `(conversation, [])` or `(None, violations)`."""
    if not isinstance(obj, dict):
        return None, [Violation("line.not_object", "(line)", "a line must be a JSON object")]
    try:
        conv = Conversation.model_validate(obj)
    except ValidationError as exc:
        violations = [
            Violation(f"schema.{err['type']}", _loc(err["loc"]), err["msg"])
            for err in exc.errors(include_url=False)
        ]
        return None, violations
    violations = conversation_rules(conv, limits)
    if violations:
        return None, violations
    return conv, []
