"""Tool-use signals: declared tools, call arguments, answers, loops, variety, plausibility."""

from __future__ import annotations

import re
from typing import Any

from dfab.scoring.extract import text as tx
from dfab.scoring.extract.analysis import ConversationAnalysis
from dfab.scoring.extract.store import FeatureStore, Measure
from dfab.scoring.signal import ScoringInput, SignalValue
from dfab.scoring.signals.base import PerConversation, r6, store_of

#: A result this short says nothing ("ok", "done", ""); reads and test runs should say more.
ACK_CHARS = 16
_FOLLOW_UP = re.compile(
    r"\b(error|fail\w*|exception|traceback|wrong|missing|expected|retry|instead|because|"
    r"not found|typo|again|mistake|broken|doesn'?t|didn'?t|cannot|can'?t|issue|problem)\b",
    re.I,
)


class DeclaredTools(PerConversation):
    """Each declared tool has a description and an object schema with typed properties."""

    name = "tool_use.declared_tools"
    group = "agentic"
    description = (
        "Declared tools are well-formed: a real description, `parameters` a valid JSON Schema "
        "(checked by jsonschema) describing an object whose properties have types and whose "
        "`required` names exist."
    )
    empty_reason = "no conversation declares tools"

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        if not a.tools:
            return Measure(None)
        good = 0
        first = ""
        for tool in a.tools.values():
            problem = tool_problem(tool.description, tool.parameters, tool.parameters_key, store)
            if problem is None:
                good += 1
            elif not first:
                first = f"{tool.name}: {problem}"
        return Measure(good / len(a.tools), first)


def tool_problem(description: str, params: Any, key: str, store: FeatureStore) -> str | None:
    if len(tx.WORD_RE.findall(description)) < 3:
        return "no real description (fewer than 3 words)"
    problem = store.judge.schema_problem(key, params)
    if problem:
        return problem
    props = params.get("properties") or {}
    if not isinstance(props, dict):
        return "properties is not an object"
    for pname, spec in props.items():
        if not isinstance(spec, dict) or not (
            {"type", "enum", "const", "anyOf", "oneOf", "$ref", "allOf"} & set(spec)
        ):
            return f"property {pname!r} has no type"
    missing = [r for r in params.get("required") or [] if r not in props]
    if missing:
        return f"required names undeclared properties {missing}"
    return None


class SchemaValidArgs(PerConversation):
    """Call arguments validate against the called tool's declared JSON Schema."""

    name = "tool_use.schema_valid_args"
    group = "agentic"
    description = (
        "Every call's arguments validate against its tool's declared JSON Schema (jsonschema). "
        "Red flag when a third of the calls break it, or when a broken call gets a success "
        "result (a real tool would have refused it)."
    )
    empty_reason = "no conversation makes tool calls"

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        if not a.calls:
            return Measure(None)
        bad = 0
        faked = False
        first = ""
        for call in a.calls:
            tool = a.tools.get(call.name)
            if tool is None:
                problem: str | None = "calls an undeclared tool"
            elif not isinstance(call.arguments, dict):
                problem = "arguments are not a JSON object"
            else:
                problem = store.judge.argument_problem(
                    tool.parameters_key, tool.parameters, call.arguments
                )
            if problem is None:
                continue
            bad += 1
            if call.result and not call.is_error:
                faked = True
            if not first:
                first = f"messages[{call.message_index}] {call.name}: {problem}"
        n = len(a.calls)
        flag = "invalid_args" if bad and (3 * bad >= n or faked) else None
        if faked:
            first += " (and the tool answered as if it were fine)"
        return Measure((n - bad) / n, first, flag)


class CallsAnswered(PerConversation):
    """Every call gets a non-empty answer."""

    name = "tool_use.calls_answered"
    group = "agentic"
    description = "Every tool call is answered by a tool message with non-empty content."
    empty_reason = "no conversation makes tool calls"

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        if not a.calls:
            return Measure(None)
        empty = [c for c in a.calls if not c.result.strip()]
        reason = f"{len(empty)} call(s) get an empty answer" if empty else ""
        return Measure(1 - len(empty) / len(a.calls), reason)


class Loops(PerConversation):
    """Inspect before acting, verify after acting: the agent loop worth learning."""

    name = "tool_use.loops"
    group = "agentic"
    description = (
        "Multi-step loops: something is inspected before it is changed, and the change is "
        "verified (tests, build, run) afterwards. Read-only investigations earn up to 0.8; "
        "conversations without tool calls earn 0."
    )

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        kinds = [c.kind for c in a.calls]
        if not kinds:
            return Measure(0.0, "no tool calls")
        acts = [i for i, k in enumerate(kinds) if k == "act"]
        inspects = [i for i, k in enumerate(kinds) if k == "inspect"]
        verifies = [i for i, k in enumerate(kinds) if k == "verify"]
        if acts:
            before = bool(inspects) and inspects[0] < acts[-1]
            after = bool(verifies) and verifies[-1] > acts[0]
            value = 0.4 + 0.3 * before + 0.3 * after
            missing = [
                w
                for w, ok in (("no inspection first", before), ("no verification after", after))
                if not ok
            ]
            return Measure(value, "; ".join(missing))
        if inspects or verifies:
            value = 0.6 + 0.2 * (len(inspects) + len(verifies) >= 2)
            return Measure(value, "read-only: nothing is changed")
        return Measure(0.2, "calls of unrecognised kinds only")


class Variety(PerConversation):
    """Several tools per conversation, and many tools across the dataset."""

    name = "tool_use.variety"
    group = "agentic"
    description = (
        "Conversations use several of their declared tools (up to 3 count), and the dataset "
        "as a whole uses a variety of tool names (up to 5 count, 30% of the value)."
    )
    empty_reason = "no conversation makes tool calls"

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        if not a.calls:
            return Measure(None)
        used = {c.name for c in a.calls}
        need = min(3, max(1, len(a.tools)))
        value = min(1.0, len(used) / need)
        reason = f"uses {len(used)} distinct tool(s)" if value < 1 else ""
        return Measure(value, reason, data=sorted(used))

    def compute(self, data: ScoringInput) -> SignalValue:
        base = super().compute(data)
        names: set[str] = set()
        for m in store_of(data).measures[self.name]:
            if m.data:
                names.update(m.data)
        spread = min(1.0, len(names) / 5)
        ev = dict(base.evidence)
        ev["distinct_tool_names"] = len(names)
        ev["per_conversation_mean"] = base.value
        if not names:
            return SignalValue(base.value, ev)
        return SignalValue(r6(0.7 * base.value + 0.3 * spread), ev)


class PlausibleResults(PerConversation):
    """Results depend on their calls; uninformative or identical results are fabricated."""

    name = "tool_use.plausible_results"
    group = "agentic"
    description = (
        "Tool results look like a real environment's: different calls do not get identical "
        "results, reads and test runs return content, and error results are followed up. "
        "Red flag when half the calls share a (non-error) result, when every call fails, or "
        "when reads and test runs return nothing."
    )
    empty_reason = "no conversation makes tool calls"

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        calls = [c for c in a.calls if c.result_index >= 0]
        if not calls:
            return Measure(None)
        errors = [c for c in calls if c.is_error]
        error_ids = {c.index for c in errors}
        keys_by_result: dict[str, set[str]] = {}
        for c in calls:
            text = c.result.strip()
            # the same error for different calls is normal (a missing tool, a broken env)
            if len(text) >= ACK_CHARS and c.index not in error_ids:
                keys_by_result.setdefault(text, set()).add(c.key)
        duplicated = sum(len(keys) for keys in keys_by_result.values() if len(keys) > 1)
        dup_share = duplicated / len(calls)
        looks = [c for c in calls if c.kind in ("inspect", "verify")]
        blank = [c for c in looks if len(c.result.strip()) < ACK_CHARS]
        blank_share = len(blank) / len(looks) if looks else 0.0
        followed = sum(1 for c in errors if _followed_up(a, c))
        value = (1 - dup_share) * (1 - 0.5 * blank_share)
        reasons = []
        if dup_share:
            reasons.append(f"{duplicated} calls with different arguments share a result")
        if blank_share:
            reasons.append(f"{len(blank)} read/test call(s) return (almost) nothing")
        if errors:
            value *= 0.5 + 0.5 * followed / len(errors)
            if followed < len(errors):
                reasons.append(f"{len(errors) - followed} error result(s) are ignored")
        flag = None
        if (len(calls) >= 3 and (dup_share >= 0.5 or len(errors) == len(calls))) or (
            len(looks) >= 3 and blank_share >= 0.7
        ):
            flag = "fabricated_results"
        return Measure(value, "; ".join(reasons), flag)


def _followed_up(a: ConversationAnalysis, call: Any) -> bool:
    """The next assistant turn reacts: talks about the error, reuses its terms, or retries."""
    nxt = next((t for t in a.turns if t.message_index > call.result_index), None)
    if nxt is None:
        return False
    said = f"{nxt.reasoning}\n{nxt.content}"
    if _FOLLOW_UP.search(said):
        return True
    if a.result_terms(call) & tx.salient_terms(said):
        return True
    return any(c.key != call.key for c in nxt.calls)
