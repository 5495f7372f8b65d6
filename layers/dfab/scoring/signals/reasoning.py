"""Reasoning signals: present at decisions, about what is acted on, bounded, not the answer."""

from __future__ import annotations

from dfab.scoring.extract import text as tx
from dfab.scoring.extract.analysis import ConversationAnalysis, Turn, name_words
from dfab.scoring.extract.store import FeatureStore, Measure
from dfab.scoring.extract.text import word_list
from dfab.scoring.signals.base import PerConversation, clamp

#: Words of one reasoning step that are free; beyond them, each word must carry content.
FREE_WORDS = 80
#: Share of content words that must refer to the conversation for a long step to count.
MIN_DENSITY = 0.15


def _reasoning_of(turn: Turn) -> str:
    """What the agent thinks before it acts: reasoning, else text that precedes the calls."""
    if tx.word_count(turn.reasoning) >= 3:
        return turn.reasoning
    if turn.calls and tx.word_count(turn.content) >= 5:
        return turn.content
    return ""


#: Words that announce a step of each kind ("see the structure" before a listing).
_INTENT = {
    "inspect": frozenset(
        word_list(
            "look see check read open inspect structure find search view list where defined "
            "definition show locate layout usage callers contents"
        )
    ),
    "act": frozenset(
        word_list(
            "change fix write edit update apply patch add replace modify implement drop remove "
            "create rewrite correct adjust refactor rename insert"
        )
    ),
    "verify": frozenset(
        word_list(
            "test tests run rerun re-run confirm verify check pass passes suite build compile "
            "lint green again"
        )
    ),
}


class Present(PerConversation):
    """Every decision (each step that calls tools, and the final answer) is reasoned."""

    name = "reasoning.present"
    group = "agentic"
    description = (
        "Reasoning is present where decisions are made: before each step that calls tools "
        "(in `reasoning_content`, or text before the calls) and, at half weight, before the "
        "final answer."
    )

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        steps = a.action_turns
        final = a.turns[-1] if a.turns and a.turns[-1].is_final else None
        total = len(steps) + (0.5 if final else 0.0)
        if total == 0:
            return Measure(None)
        have = sum(1 for t in steps if _reasoning_of(t))
        if final is not None and tx.word_count(final.reasoning) >= 3:
            have += 0.5
        value = have / total
        missing = len(steps) - sum(1 for t in steps if _reasoning_of(t))
        reason = f"{missing} of {len(steps)} tool steps have no reasoning" if missing else ""
        return Measure(value, reason)


class Grounded(PerConversation):
    """Reasoning names what the step then touches, or what the last result showed."""

    name = "reasoning.grounded"
    group = "agentic"
    description = (
        "Reasoning before a tool step refers to what is then acted on (files, symbols, "
        "arguments, the tool) or to what the previous result showed (errors, output)."
    )
    empty_reason = "no tool step carries reasoning"

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        steps = [(t, _reasoning_of(t)) for t in a.action_turns]
        steps = [(t, r) for t, r in steps if r]
        if not steps:
            return Measure(None)
        grounded = 0.0
        for turn, text in steps:
            said = tx.stemmed(tx.salient_terms(text) | frozenset(tx.lower_words(text)))
            targets: set[str] = set()
            for call in turn.calls:
                targets |= a.call_terms(call) | {w for w in name_words(call.name) if len(w) >= 4}
            prev = [
                c for c in a.calls if c.result_index >= 0 and c.result_index < turn.message_index
            ]
            if prev:
                targets |= a.result_terms(prev[-1])
            if said & tx.stemmed(frozenset(targets)):
                grounded += 1
            elif said & set().union(*(_INTENT.get(c.kind, frozenset()) for c in turn.calls)):
                grounded += 0.6  # announces the kind of step, names nothing specific
        value = grounded / len(steps)
        reason = "some reasoned steps name nothing they act on" if value < 1 else ""
        return Measure(value, reason)


class Bounded(PerConversation):
    """Length is free up to a point; beyond it, filler (words tied to nothing) costs."""

    name = "reasoning.bounded"
    group = "agentic"
    description = (
        "Reasoning is bounded: the first 80 words of a step are free, longer steps must keep "
        "at least 15% of their distinct content words tied to the conversation and must not repeat "
        "themselves. Padding lowers the value; mostly-padding reasoning is red-flagged."
    )
    empty_reason = "no conversation carries reasoning"

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        context = tx.stemmed(frozenset(a.context_terms))
        total = padded = 0
        for turn in a.turns:
            text = turn.reasoning
            w = tx.lower_words(text)
            if not w:
                continue
            total += len(w)
            if len(w) <= FREE_WORDS:
                continue
            content = frozenset(x for x in w if len(x) >= 4) - tx.STOPWORDS
            tied = sum(1 for x in tx.stemmed(content) if x in context)
            distinct = len(content) or 1
            density = tied / distinct
            lines = [ln.strip() for ln in text.split(".") if len(ln.strip()) > 20]
            repeats = 1 - len(set(lines)) / len(lines) if lines else 0.0
            if density < MIN_DENSITY or repeats > 0.3:
                padded += len(w) - FREE_WORDS
        if total == 0:
            return Measure(None)
        value = clamp(1 - padded / total)
        flag = "padded_reasoning" if padded >= 100 and padded >= 0.5 * total else None
        reason = f"{padded} of {total} reasoning words are padding" if padded else ""
        return Measure(value, reason, flag)


class NotAnswerCopy(PerConversation):
    """Reasoning is thinking, not the answer pasted twice."""

    name = "reasoning.not_answer_copy"
    group = "agentic"
    description = (
        "Reasoning is not a copy of the message it precedes: at most 60% of its word 3-grams "
        "reappear in that message's content."
    )
    empty_reason = "no message has both substantial reasoning and content"

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        eligible = copies = 0
        for turn in a.turns:
            r = tx.lower_words(turn.reasoning)
            c = tx.lower_words(turn.content)
            if len(r) < 20 or len(c) < 20:
                continue
            eligible += 1
            rg = set(zip(r, r[1:], r[2:], strict=False))
            cg = set(zip(c, c[1:], c[2:], strict=False))
            if len(rg & cg) >= 0.6 * len(rg):
                copies += 1
        if not eligible:
            return Measure(None)
        reason = f"{copies} reasoning block(s) copy the message they precede" if copies else ""
        return Measure(1 - copies / eligible, reason)
