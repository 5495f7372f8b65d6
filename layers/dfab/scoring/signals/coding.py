"""Coding-relevance signals: real coding work, spread over languages and kinds, honest hints.

Declared `task` values are hints: they count only where the content backs them, so a
dataset cannot buy spread by labelling Python as Rust.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import ClassVar

from dfab.scoring.extract import text as tx
from dfab.scoring.extract.analysis import ConversationAnalysis, written_files
from dfab.scoring.extract.store import FeatureStore, Measure
from dfab.scoring.signal import ScoringInput, SignalValue
from dfab.scoring.signals.base import PerConversation, r6, sample_evidence, store_of

_CODE_TALK = re.compile(
    r"\b(function|method|class|module|package|library|script|test|tests|bug|error|exception|"
    r"api|endpoint|query|build|compile|deploy|pipeline|repo|repository|code|refactor|type|"
    r"variable|import|dependency|config|schema|database|migration|regex|cli|stack ?trace|"
    r"python|javascript|typescript|golang|rust|java|sql|bash|shell|docker|yaml|json)\b",
    re.I,
)
_TEST_PATH = re.compile(r"(^|/)(test_[^/]+|[^/]+_test\.\w+|[^/]+\.(test|spec)\.\w+|tests?/)", re.I)
_KIND_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "tests",
        re.compile(
            r"\b(write|add|cover|missing)\b.{0,40}\btests?\b|\bunit tests?\b|\btest coverage\b",
            re.I,
        ),
    ),
    (
        "devops",
        re.compile(
            r"\b(docker\w*|ci|pipeline|workflow|github actions|kubernetes|k8s|helm|terraform"
            r"|deploy\w*|nginx|systemd|makefile)\b",
            re.I,
        ),
    ),
    (
        "data",
        re.compile(
            r"\b(sql|csv|query|queries|dataframe|etl|tables?|join|aggregat\w*|parquet|jsonl?"
            r"|reports?|charts?|dashboards?|series|statistics|stats|counts?|average|mean|median"
            r"|totals?|metrics|logs?|records?|rows?|columns?|dataset|analytics|histogram"
            r"|percent\w*|sum|deadlines?|dates?|calendar)\b",
            re.I,
        ),
    ),
    ("code_review", re.compile(r"\b(review|feedback|critique|code smell)\b", re.I)),
    (
        "refactor",
        re.compile(
            r"\b(refactor\w*|extract|rename|clean ?up|simplif\w*|restructur\w*|deduplicat\w*)\b",
            re.I,
        ),
    ),
    (
        "debugging",
        re.compile(
            r"\b(debug\w*|investigat\w*|crash\w*|hang\w*|flaky|intermittent\w*|stack ?trace"
            r"|traceback)\b",
            re.I,
        ),
    ),
    (
        "bug_fix",
        re.compile(
            r"\b(bug|fix\w*|wrong|broken|incorrect\w*|fails?|failing|error|regress\w*)\b", re.I
        ),
    ),
    (
        "feature",
        re.compile(r"\b(add|implement\w*|support|new|create|introduce|extend|allow)\b", re.I),
    ),
    (
        "explanation",
        re.compile(r"\b(explain|why|how does|what does|walk me through|understand)\b", re.I),
    ),
)
_DEVOPS_LANGS = frozenset({"docker", "yaml", "terraform", "make"})


def _wrote_code(a: ConversationAnalysis) -> bool:
    return any(
        p.origin == "file" and p.language and p.language not in tx.NON_CODE_LANGUAGES
        for p in a.code
    )


def _shows_code(a: ConversationAnalysis) -> bool:
    return any(p.origin == "block" and p.language not in tx.NON_CODE_LANGUAGES for p in a.code)


class RealWork(PerConversation):
    """The conversation is about code, touches code, and acts on it."""

    name = "coding.real_work"
    group = "agentic"
    description = (
        "Real coding work: the request is about code, code is read or written, and the agent "
        "acts on it (writes or edits code, runs it or its tests, or explains specific code "
        "it read). Conversations with none of it are red-flagged off-topic."
    )

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        about = bool(a.request_anchors) or bool(_CODE_TALK.search(a.request))
        idents_seen = set()
        for c in a.calls:
            if c.kind in ("inspect", "verify"):
                idents_seen |= {x.lower() for x in tx.identifiers(c.result[:4000])}
        explained = len(idents_seen & {x.lower() for x in tx.identifiers(a.final)}) >= 3
        acts = (
            _wrote_code(a)
            or any(c.kind == "verify" for c in a.calls)
            or _shows_code(a)
            or explained
        )
        present = bool(a.code) or bool(a.languages) or bool(idents_seen)
        value = 0.3 * about + 0.4 * acts + 0.3 * present
        missing = [
            w
            for w, ok in (
                ("request not about code", about),
                ("no action on code", acts),
                ("no code", present),
            )
            if not ok
        ]
        flag = "off_topic" if value < 0.3 else None
        return Measure(value, "; ".join(missing), flag)


def infer_kind(a: ConversationAnalysis) -> str:
    """The task kind the content shows (first matching rule)."""
    edits = any(c.kind == "act" for c in a.calls) or _wrote_code(a)
    text = a.request
    wrote_tests = any(_TEST_PATH.search(p) for c in a.calls for p, _ in written_files(c.arguments))
    if wrote_tests and _KIND_WORDS[0][1].search(text):
        return "tests"
    if set(a.languages) & _DEVOPS_LANGS:
        return "devops"
    for kind, pattern in _KIND_WORDS[1:]:
        if pattern.search(text):
            if kind in ("refactor", "feature", "bug_fix") and not edits:
                continue
            return kind
    return "other"


def kind_consistent(declared: str, a: ConversationAnalysis) -> bool:
    """Whether a declared category is backed by the content."""
    edits = any(c.kind == "act" for c in a.calls) or _wrote_code(a)
    long_answer = tx.word_count(a.final) >= 40
    rules = {
        "bug_fix": edits,
        "feature": edits,
        "refactor": edits,
        "debugging": edits or long_answer,
        "tests": any(_TEST_PATH.search(p) for c in a.calls for p, _ in written_files(c.arguments))
        or "def test" in a.final
        or "test(" in a.final,
        "explanation": long_answer,
        "code_review": long_answer,
        "devops": bool(set(a.languages) & _DEVOPS_LANGS)
        or bool(_KIND_WORDS[1][1].search(a.request)),
        "data": "sql" in a.languages or bool(_KIND_WORDS[2][1].search(a.request)),
    }
    return rules.get(declared, True)


def _kind_of(a: ConversationAnalysis) -> str:
    declared = (a.view.category or "").strip().lower()
    if declared and kind_consistent(declared, a):
        return declared
    return infer_kind(a)


class Spread(PerConversation):
    """Languages and task kinds, as shown by the content, are spread out."""

    name = "coding.spread"
    group = "agentic"
    description = (
        "Spread over languages and task kinds (entropy, as an effective count): languages "
        "are those the conversations really write or show (up to 3 count), kinds are the "
        "declared category when the content backs it, else the inferred one (up to 5 count)."
    )
    LANG_TARGET: ClassVar[float] = 3.0
    KIND_TARGET: ClassVar[float] = 5.0

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        return Measure(None, data=(tuple(a.languages[:3]), _kind_of(a)))

    def compute(self, data: ScoringInput) -> SignalValue:
        store = store_of(data)
        langs: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        for m in store.measures[self.name]:
            ls, kind = m.data
            for lang in ls:
                langs[lang] += 1 / len(ls)
            kinds[kind] += 1
        ev = sample_evidence(store)
        lang_eff = effective_count(langs)
        kind_eff = effective_count(kinds)
        ev.update(
            languages={
                k: round(v, 2)
                for k, v in sorted(langs.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
            },
            kinds=dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
            effective_languages=round(lang_eff, 3),
            effective_kinds=round(kind_eff, 3),
            no_language=sum(1 for m in store.measures[self.name] if not m.data[0]),
        )
        value = 0.5 * min(1.0, lang_eff / self.LANG_TARGET) + 0.5 * min(
            1.0, kind_eff / self.KIND_TARGET
        )
        return SignalValue(r6(value), ev)


def effective_count(counts: Counter[str]) -> float:
    """exp(Shannon entropy): how many equally common classes the distribution is worth."""
    total = sum(counts.values())
    if total <= 0:
        return 0.0
    h = -sum((c / total) * math.log(c / total) for c in counts.values() if c > 0)
    return math.exp(h)


class HintsMatch(PerConversation):
    """Declared task hints (language, category) agree with the content."""

    name = "coding.hints_match"
    group = "agentic"
    description = (
        "Declared `task.language` values are languages the conversation really works in and "
        "the declared category fits what happens. Undeclared hints are neither rewarded nor "
        "punished (dataset value 1 when nothing is declared)."
    )
    empty_value = 1.0
    empty_reason = "no conversation declares task hints"

    def measure(self, a: ConversationAnalysis, store: FeatureStore) -> Measure:
        checks: list[bool] = []
        reasons = []
        evidence = a.language_evidence
        for lang in a.view.languages:
            name = tx.normalize_language(lang)
            ok = evidence.get(name, 0) >= 1 or (name == "tsx" and "typescript" in evidence)
            checks.append(ok)
            if not ok:
                reasons.append(f"declares {lang!r}, content shows {a.languages[:3] or 'none'}")
        declared = (a.view.category or "").strip().lower()
        if declared:
            ok = kind_consistent(declared, a)
            checks.append(ok)
            if not ok:
                reasons.append(f"declares {declared!r}, content looks like {infer_kind(a)!r}")
        if not checks:
            return Measure(None)
        return Measure(sum(checks) / len(checks), "; ".join(reasons))
