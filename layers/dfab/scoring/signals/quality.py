"""Quality signals: is each conversation a clear, coherent, healthy, correct piece of work?

Each class is one signal with one job. Values are per conversation; the dataset value
is their mean (see `PerConversation`).
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from typing import ClassVar

from dfab.contracts.dataset import normalize_code
from dfab.scoring.extract import text as tx
from dfab.scoring.extract.analysis import ConversationAnalysis
from dfab.scoring.extract.code import CHECKABLE, code_problem
from dfab.scoring.extract.store import FeatureStore, Measure
from dfab.scoring.signals.base import PerConversation, clamp

_BEHAVIOUR = re.compile(
    r"\b(should|supposed to|meant to|expected|expect|instead|actual(ly)?|returns?|raises?|"
    r"throws?|fail(s|ed|ing)?|crash(es|ed)?|errors?|bugs?|broken|wrong|slow(er)?|hangs?|"
    r"time[sd]? ?out|leaks?|incorrect(ly)?|missing|duplicated?|repeated|off[- ]by[- ]one|"
    r"regress\w*|output|exit code|warning|exception|stack ?trace|traceback|always|never|"
    r"sometimes|empty|too (early|late|slow|high|low|many|few|long|short)|(under|over)[- ]?counts?|"
    r"inflated|counts? .{1,40} as|shows? up|comes? out|gets? through|ignores?|skips?|loses?|"
    r"drops?|stuck|blocks?|rejects?|accepts?|ends up|turns? into|differs?)\b",
    re.I,
)
_ACTION = re.compile(
    r"\b(fix|add|implement|write|create|refactor|rename|extract|explain|review|make|update|"
    r"change|remove|delete|optimi[sz]e|speed up|debug|investigate|find|support|convert|port|"
    r"migrate|document|test|handle|validate|parse|build|deploy|configure|set up|why|how)\b|\?",
    re.I,
)
_CONSTRAINT = re.compile(
    r"\b(without|keep|must|don'?t|do not|only|avoid|preserve|backwards?|compatib\w*|stable|"
    r"at most|at least|under \d|no more than|limit|same|existing|public api|signature|"
    r"required?|constraint|unless|except)\b",
    re.I,
)
_EXPLAINS = re.compile(
    r"\b(because|so that|which means|the (bug|problem|issue|cause|fix|reason)|this (means|is "
    r"why)|root cause|returns?|now|instead|fixed|added|changed|updated|implemented)\b",
    re.I,
)
#: Gopher counts every word, numbers included.
_TOKEN = re.compile(r"\w+")
#: Characters of final answer that need no justification; beyond it, only quoted code is free.
ANSWER_BUDGET = 12_000
#: Most of one conversation's code that gets parsed (the rest is not checked).
CODE_BUDGET = 64_000
#: Most code pieces (blocks, written files) of one conversation that are looked at.
MAX_PIECES = 40


class TaskIntent(PerConversation):
    """A concrete request: names files/symbols/errors, says what happens or should happen."""

    name = "quality.task_intent"
    group = "quality"
    description = (
        "The first user message is a concrete coding request: it names an artifact (file, "
        "symbol, error), describes behaviour, asks for an action, states constraints."
    )

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        req = a.request
        n_words = tx.word_count(req)
        if n_words == 0:
            return Measure(0.0, "the request is empty")
        parts = {
            "artifact": bool(
                tx.paths(req)
                or tx.identifiers(req)
                or tx.code_blocks(req)
                or tx.ERROR_NAME_RE.search(req)
            ),
            "behaviour": bool(_BEHAVIOUR.search(req) or tx.NUMBER_RE.search(req)),
            "action": bool(_ACTION.search(req)),
            "constraint": bool(_CONSTRAINT.search(req)),
        }
        weights = {"artifact": 0.45, "behaviour": 0.35, "action": 0.1, "constraint": 0.1}
        value = sum(weights[k] for k, ok in parts.items() if ok)
        missing = [k for k, ok in parts.items() if not ok]
        if n_words < 8:
            value *= n_words / 8
            missing.append(f"only {n_words} words")
        reason = "no " + ", no ".join(missing) if missing else ""
        return Measure(value, reason)


class Coherence(PerConversation):
    """Tool results feed later steps, and the final answer addresses the request."""

    name = "quality.coherence"
    group = "quality"
    description = (
        "Informative tool results are used later (their new terms reappear in the agent's "
        "reasoning, text or next calls) and the final answer talks about what was asked."
    )
    empty_reason = "no conversation has tool results or a request with concrete terms"

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        parts: list[float] = []
        reasons: list[str] = []
        used = _results_used(a)
        if used is not None:
            parts.append(clamp(used / 0.75))
            if used < 0.5:
                reasons.append(f"{used:.0%} of informative tool results are used later")
        addressed = _answer_addresses(a)
        if addressed is not None:
            parts.append(addressed)
            if addressed < 1:
                reasons.append("the final answer misses what the request names")
        if not parts:
            return Measure(None)
        return Measure(sum(parts) / len(parts), "; ".join(reasons))


def _results_used(a: ConversationAnalysis) -> float | None:
    """Share of tool results bringing >= 3 new terms of which one reappears later."""
    by_result = {c.result_index: c for c in a.calls if c.result_index >= 0}
    seen = set(tx.stemmed(a.request_terms))
    pending: list[list[object]] = []
    for i, m in enumerate(a.messages):
        if m.role == "assistant":
            terms = tx.stemmed(a.message_terms(i))
            for p in pending:
                if not p[1] and p[0] & terms:  # type: ignore[operator]
                    p[1] = True
            seen |= terms
        elif m.role == "tool":
            call = by_result.get(i)
            terms = tx.stemmed(
                a.result_terms(call) if call else tx.salient_terms(tx.cap(m.content))
            )
            new = terms - seen
            if len(new) >= 3:
                pending.append([new, False])
            seen |= terms
        elif m.role == "user" and i != a.request_index:
            seen |= tx.stemmed(tx.salient_terms(tx.cap(m.content)))
    if not pending:
        return None
    return sum(1 for p in pending if p[1]) / len(pending)


def _answer_addresses(a: ConversationAnalysis) -> float | None:
    anchors = a.request_anchors
    if not anchors:
        long_words = sorted((t for t in a.request_terms if len(t) >= 6), key=lambda t: (-len(t), t))
        anchors = set(long_words[:8])
    if not anchors:
        return None
    final = set(a.final_terms) | {x.lower() for x in tx.identifiers(a.final)}
    final |= set(tx.lower_words(a.final))
    hits = len(tx.stemmed(frozenset(anchors)) & tx.stemmed(frozenset(final)))
    return clamp(hits / min(2, len(anchors)))


class TextHealth(PerConversation):
    """Repetition measures in the spirit of Gopher's rules, tuned so code is not punished."""

    name = "quality.text_health"
    group = "quality"
    description = (
        "The agent's text is not degenerate: duplicate lines, dominant n-grams and repeated "
        "long n-grams stay under Gopher-style thresholds (prose), duplicate code lines stay "
        "under a code threshold, and the text does not compress like a loop."
    )

    #: (measure, threshold): the score falls linearly from 1 at the threshold to 0 at twice it.
    PROSE: ClassVar[tuple[tuple[str, float], ...]] = (
        ("dup_line_chars", 0.3),
        ("top_2gram_chars", 0.2),
        ("top_3gram_chars", 0.18),
        ("top_4gram_chars", 0.16),
        ("dup_5gram_chars", 0.4),
        ("dup_10gram_chars", 0.35),
    )
    CODE_DUP_LINES = 0.35
    MIN_ZLIB_RATIO = 0.12

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        texts = [t.reasoning for t in a.turns] + [t.content for t in a.turns]
        doc = "\n".join(t for t in texts if t)
        if not doc.strip():
            return Measure(None)
        scores: dict[str, float] = {}
        prose = tx.strip_code(doc)
        found = prose_repetition(prose)
        for key, threshold in self.PROSE:
            if key in found:
                scores[key] = _falloff(found[key], threshold)
        code_dups = code_duplicate_lines(a)
        if code_dups is not None:
            scores["dup_code_lines"] = _falloff(code_dups, self.CODE_DUP_LINES)
        blob = doc.encode("utf-8", "surrogatepass")[:65_536]
        if len(blob) >= 2000:
            ratio = len(zlib.compress(blob, 6)) / len(blob)
            scores["zlib_ratio"] = clamp((ratio - 0.05) / (self.MIN_ZLIB_RATIO - 0.05))
        if not scores:
            return Measure(1.0)
        worst_key = min(scores, key=lambda k: (scores[k], k))
        value = scores[worst_key]
        reason = "" if value >= 1 else f"{worst_key} is past its threshold"
        flag = "degenerate_text" if value < 0.25 else None
        return Measure(value, reason, flag)


def _falloff(measured: float, threshold: float) -> float:
    return 1.0 if measured <= threshold else clamp(1.0 - (measured - threshold) / threshold)


def prose_repetition(prose: str) -> dict[str, float]:
    """Gopher-style repetition fractions of a prose text (character-weighted)."""
    out: dict[str, float] = {}
    lines = [ln.strip() for ln in prose.split("\n") if ln.strip()]
    total_chars = sum(len(ln) for ln in lines)
    if len(lines) >= 4 and total_chars:
        seen: set[str] = set()
        dup = 0
        for ln in lines:
            if ln in seen:
                dup += len(ln)
            seen.add(ln)
        out["dup_line_chars"] = dup / total_chars
    w = _TOKEN.findall(prose[:40_000].lower())
    if len(w) < 50:
        return out
    chars = sum(len(x) for x in w)
    for n in (2, 3, 4):
        grams = Counter(zip(*(w[i:] for i in range(n)), strict=False))
        top = max(grams.values())
        if top < 2:
            out[f"top_{n}gram_chars"] = 0.0
            continue
        longest = max(sum(map(len, g)) for g, c in grams.items() if c == top)
        out[f"top_{n}gram_chars"] = top * longest / chars
    cum = [0]
    for x in w:
        cum.append(cum[-1] + len(x))
    for n in (5, 10):
        if len(w) < 2 * n:
            continue
        seen_g: set[tuple[str, ...]] = set()
        end = dup_chars = 0
        for i, g in enumerate(zip(*(w[k:] for k in range(n)), strict=False)):
            if g in seen_g:
                start_at = max(i, end)
                end = i + n
                dup_chars += cum[end] - cum[start_at]
            else:
                seen_g.add(g)
        out[f"dup_{n}gram_chars"] = dup_chars / chars
    return out


def code_duplicate_lines(a: ConversationAnalysis) -> float | None:
    """Char share of duplicated substantial lines within each distinct code piece."""
    seen_pieces: set[str] = set()
    dup = total = 0
    for piece in a.code:
        norm = normalize_code(piece.code[:CODE_BUDGET])
        if norm in seen_pieces:
            continue
        seen_pieces.add(norm)
        lines_seen: set[str] = set()
        for ln in norm.split("\n"):
            s = ln.strip()
            if len(s) < 12:
                continue
            total += len(s)
            if s in lines_seen:
                dup += len(s)
            lines_seen.add(s)
    if total < 400:
        return None
    return dup / total


class CodeValidity(PerConversation):
    """Code the assistant shows or writes parses (ast, json, tomllib, yaml, bracket lexer)."""

    name = "quality.code_validity"
    group = "quality"
    description = (
        "Fenced code blocks and files written through tool calls parse: Python with ast, JSON, "
        "TOML, YAML with their parsers, brace languages with a bracket/string lexer. The "
        "dataset value also requires that at least half the conversations carry checkable code."
    )
    empty_reason = "no conversation shows or writes checkable code"
    COVERAGE = 0.5

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        seen: set[str] = set()
        checked = valid = 0
        budget = CODE_BUDGET
        first_problem = ""
        written = [normalize_code(p.code[:CODE_BUDGET]) for p in a.code if p.origin == "file"]
        for piece in a.code[:MAX_PIECES]:
            lang = piece.language
            if lang not in CHECKABLE or budget <= 0:
                continue
            norm = normalize_code(piece.code)
            if norm in seen:
                continue
            if piece.origin == "block" and any(norm in w for w in written if w != norm):
                continue  # an excerpt of a file written here: the file itself is checked
            seen.add(norm)
            budget -= len(norm)
            checked += 1
            problem = code_problem(lang, piece.code)
            if problem is None:
                valid += 1
            elif not first_problem:
                first_problem = f"{piece.where}: {problem}"
        if not checked:
            return Measure(None)
        return Measure(valid / checked, first_problem)

    def dataset_value(self, applied: list[float], total: int) -> float:
        coverage = len(applied) / total if total else 0.0
        return (sum(applied) / len(applied)) * min(1.0, coverage / self.COVERAGE)


class FinalAnswer(PerConversation):
    """The last message delivers (fix, code, explanation) in terms of the work done."""

    name = "quality.final_answer"
    group = "quality"
    description = (
        "The final answer delivers: code or a concrete explanation grounded in the "
        "conversation's own terms, of a sensible size. Beyond 12,000 characters only code "
        "quoted from files written in the conversation is free; oversized answers are "
        "red-flagged."
    )

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        final = a.final
        n_words = tx.word_count(final)
        if n_words < 4 or a.final_length < 20:
            return Measure(0.05, "the final answer is a stub")
        blocks = tx.code_blocks(final)
        grounded = a.final_terms & a.context_terms
        grounded_share = len(grounded) / max(1, len(a.final_terms))
        delivers = (
            bool(blocks) or len(grounded) >= 3 or (n_words >= 40 and bool(_EXPLAINS.search(final)))
        )
        value = 0.4 * delivers + 0.4 * clamp(grounded_share / 0.3) + 0.2 * clamp(n_words / 25)
        reasons = []
        if not delivers:
            reasons.append("no code and no concrete explanation")
        if grounded_share < 0.3:
            reasons.append(f"only {grounded_share:.0%} of its terms come from the work")
        flag = None
        excess = 0
        if a.final_length > ANSWER_BUDGET:
            excess = a.final_length - _quoted_code(a, blocks) - ANSWER_BUDGET
        if excess > 0:
            value *= ANSWER_BUDGET / (ANSWER_BUDGET + excess)
            reasons.append(f"{a.final_length} characters, {excess} over the budget")
            flag = "oversized_answer"
        return Measure(value, "; ".join(reasons), flag)


def _quoted_code(a: ConversationAnalysis, blocks: list[tx.CodeBlock]) -> int:
    """Characters of final-answer code blocks that repeat files written earlier."""
    if not blocks:
        return 0
    written: list[str] = []
    room = 512_000  # bounded work, whatever the line holds
    for c in a.calls:
        for s in c.string_arguments():
            if len(s) > 40 and room > 0:
                written.append(normalize_code(s[:room]))
                room -= len(s)
    if not written:
        return 0
    quoted = 0
    seen: set[str] = set()
    for block in blocks[:MAX_PIECES]:
        body = normalize_code(block.body)
        if body and body not in seen and any(body in w for w in written):
            quoted += len(block.body)  # each distinct file counts once, however often shown
        seen.add(body)
    return quoted
