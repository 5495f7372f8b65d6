"""Python feature families: new behaviour specified by the user, implemented test-first."""

from __future__ import annotations

from fabricator.convo import Ctx, Draft
from fabricator.families import Family
from fabricator.families._common import fill, q, swap, tests_file
from fabricator.flows import PyTask, py_layout, python_fix_flow
from fabricator.vocab import domain, repo_name

# --------------------------------------------------------------------------- slugify

_SLUG_OLD = '''"""Text helpers for {{plural}} pages."""

from __future__ import annotations


def {{fn}}(title: str, max_length: int = {{maxlen}}) -> str:
    """URL slug for a title."""
    return title.lower().replace(" ", "-")[:max_length]
'''

_SLUG = '''"""Text helpers for {{plural}} pages."""

from __future__ import annotations

import re
import unicodedata


def {{fn}}(title: str, max_length: int = {{maxlen}}) -> str:
    """URL slug: ASCII lowercase words joined by '-', at most `max_length` characters.

    Accents are folded ("Café" -> "cafe"), other punctuation separates words, and a long
    title is cut at a word boundary rather than mid-word.
    """
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", folded.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or "-".join(words)[:max_length]
'''

_SLUG_PARTIAL_OLD = """    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or "-".join(words)[:max_length]
"""

_SLUG_PARTIAL_NEW = """    return "-".join(words)[:max_length]
"""

_TITLES = (
    ("Caf\u00e9 D\u00e9j\u00e0 Vu: 2024 Edition!", "cafe-deja-vu-2024-edition"),
    ("Cr\u00e8me Br\u00fbl\u00e9e & Friends", "creme-brulee-friends"),
    ("\u00d1and\u00fa Tracking -- Q3", "nandu-tracking-q3"),
    ("Zo\u00eb's  \u00dcber  Guide", "zoe-s-uber-guide"),
    ("S\u00e3o Paulo / Rio (r\u00e9sum\u00e9)", "sao-paulo-rio-resume"),
)


def slugify(ctx: Ctx) -> Draft:
    d = domain(ctx)
    fn = ctx.pick(("slugify", "make_slug", "to_slug"))
    maxlen = ctx.pick((40, 50, 60, 80))
    lay = py_layout(ctx, d.pkg, ctx.pick(("slugs", "text_tools", "seo")))
    v = dict(fn=fn, maxlen=maxlen, plural=d.plural)
    before, after = fill(_SLUG_OLD, **v), fill(_SLUG, **v)
    partial = swap(after, _SLUG_PARTIAL_OLD, _SLUG_PARTIAL_NEW)
    title, expected = ctx.pick(_TITLES)
    words = ctx.sample(("alpha", "bravo", "delta", "echo", "lima", "oscar", "tango"), 4)
    limit = len(words[0]) + len(words[1]) + len(words[2]) + 1
    cases = [
        f"""
def test_accents_and_punctuation():
    assert {fn}({q(title)}) == {q(expected)}
""",
        f"""
def test_repeated_separators_collapse():
    assert {fn}("  {words[0]} --  {words[1]}  ") == "{words[0]}-{words[1]}"
""",
        f"""
def test_cut_at_word_boundary():
    slug = {fn}("{" ".join(words)}", max_length={limit})
    assert slug == "{words[0]}-{words[1]}"
    assert not slug.endswith("-")
""",
        f"""
def test_single_long_word_is_cut():
    assert {fn}("{d.entity}" * 20, max_length=10) == ("{d.entity}" * 20)[:10]
""",
        f"""
def test_nothing_left():
    assert {fn}("!!! ???") == ""
""",
    ]
    tests = tests_file(f"from {lay.imp} import {fn}\n", cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_slugify",
            variant="word_boundary",
            category="feature",
            difficulty="medium",
            summary=f"Make `{fn}` fold accents, collapse separators and cut at word boundaries",
            repo=repo_name(ctx, d),
            layout=lay,
            before=before,
            after=after,
            tests=tests,
            user=(
                f"Our {d.entity} URLs look terrible: `{fn}({title!r})` keeps the accents and "
                f"punctuation. Please improve `{fn}` in `{lay.module}`: ASCII only (fold "
                "accents), words separated by single dashes, and when the title is longer than "
                "`max_length`, cut at a word boundary, never leaving a dangling dash."
            ),
            diagnosis=(
                "Today it only lowercases and replaces spaces, then slices. So accents and "
                "punctuation survive, double spaces become `--`, and the slice can end in the "
                "middle of a word or on a dash."
            ),
            plan=(
                "Fold with `unicodedata.normalize('NFKD')` + ASCII encode, extract `[a-z0-9]+` "
                "words, then add words while the slug still fits `max_length`."
            ),
            explanation=(
                f"`{fn}` now folds accents (NFKD, then drops non-ASCII marks), treats any run "
                "of punctuation or whitespace as one separator, and builds the slug word by "
                "word so a long title is cut at a word boundary. A single over-long word is "
                "still cut to `max_length` so the result is never empty when there was text."
            ),
            must_fail=("test_accents_and_punctuation", "test_cut_at_word_boundary"),
            partial=partial,
            partial_fail=("test_cut_at_word_boundary",),
            partial_note=(
                "Slicing the joined string can stop mid-word or right after a dash: the "
                "word-boundary test fails. I need to add whole words while they fit."
            ),
            symbol=fn,
            blurb=f"Public pages for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- durations

_DUR_OLD = '''"""Parsing of human-friendly durations in {{pkg}} settings."""

from __future__ import annotations


def {{fn}}(text: str) -> int:
    """Number of seconds in `text` (plain integer seconds only)."""
    return int(text)
'''

_DUR = '''"""Parsing of human-friendly durations in {{pkg}} settings."""

from __future__ import annotations

import re

_UNITS = {{units}}
_PART = re.compile(r"(\\d+)\\s*([{{letters}}])")


def {{fn}}(text: str) -> int:
    """Seconds in `text`: '90', '45s', '1h30m', '2d 4h'; anything else raises ValueError."""
    cleaned = text.strip().lower()
    if cleaned.isdigit():
        return int(cleaned)
    total = 0
    pos = 0
    for match in _PART.finditer(cleaned):
        if cleaned[pos : match.start()].strip():
            raise ValueError(f"invalid duration: {text!r}")
        total += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos == 0 or cleaned[pos:].strip():
        raise ValueError(f"invalid duration: {text!r}")
    return total
'''

_DUR_PARTIAL_OLD = """    total = 0
    pos = 0
    for match in _PART.finditer(cleaned):
        if cleaned[pos : match.start()].strip():
            raise ValueError(f"invalid duration: {text!r}")
        total += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos == 0 or cleaned[pos:].strip():
        raise ValueError(f"invalid duration: {text!r}")
    return total
"""

_DUR_PARTIAL_NEW = """    return sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(cleaned))
"""


def durations(ctx: Ctx) -> Draft:
    d = domain(ctx)
    fn = ctx.pick(("parse_duration", "to_seconds", "duration_seconds"))
    weeks = ctx.chance(0.5)
    units = {"w": 604800} if weeks else {}
    units.update({"d": 86400, "h": 3600, "m": 60, "s": 1})
    letters = "".join(units)
    lay = py_layout(ctx, d.pkg, ctx.pick(("durations", "timeparse", "intervals_cfg")))
    v = dict(fn=fn, pkg=d.pkg, units=repr(units), letters=letters)
    before, after = fill(_DUR_OLD, **v), fill(_DUR, **v)
    partial = swap(after, _DUR_PARTIAL_OLD, _DUR_PARTIAL_NEW)
    h, m, s = ctx.rng.randint(1, 5), ctx.rng.randint(1, 59), ctx.rng.randint(1, 59)
    days = ctx.rng.randint(1, 6)
    good = [
        (f"{h}h{m}m", h * 3600 + m * 60),
        (f"{m}m {s}s", m * 60 + s),
        (f"{days}d {h}h", days * 86400 + h * 3600),
        (f"{s}S", s),
        (str(h * 100), h * 100),
    ]
    if weeks:
        good.append(("2w", 2 * 604800))
    bad = ["", "abc", f"{h}h{m}x", f"h{m}", f"{m}m and {s}s"]
    setting = ctx.pick(("SESSION_TTL", "RETRY_AFTER", "CACHE_MAX_AGE", "LOCK_TIMEOUT"))
    cases = [
        f"""
@pytest.mark.parametrize(("text", "seconds"), {good!r})
def test_valid_durations(text, seconds):
    assert {fn}(text) == seconds
""",
        f"""
@pytest.mark.parametrize("text", {bad!r})
def test_invalid_durations_raise(text):
    with pytest.raises(ValueError):
        {fn}(text)
""",
    ]
    tests = tests_file(f"import pytest\n\nfrom {lay.imp} import {fn}\n", cases)
    unit_list = ", ".join(f"`{u}`" for u in units)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_durations",
            variant="weeks" if weeks else "days",
            category="feature",
            difficulty="medium",
            summary=f"Support unit suffixes in `{fn}`",
            repo=repo_name(ctx, d),
            layout=lay,
            before=before,
            after=after,
            tests=tests,
            user=(
                f"Ops wants to write `{setting}={h}h{m}m` instead of counting seconds. Please "
                f"extend `{fn}` in `{lay.module}` to accept unit suffixes {unit_list} "
                "(combinable, optional spaces, case-insensitive), keep plain integers as "
                "seconds, and raise ValueError on anything it can't fully parse - a typo must "
                "not silently become a different timeout."
            ),
            diagnosis=(
                f"`{fn}` is just `int(text)`: any suffix raises, and there's no notion of "
                "units. The important requirement is strictness: every character must belong "
                "to a number-unit pair."
            ),
            plan=(
                "Scan number-unit pairs with a regex and check that nothing but whitespace "
                "sits between or after them; empty or unit-less input is an error."
            ),
            explanation=(
                f"`{fn}` now sums number-unit pairs ({unit_list}), ignores case and spaces "
                "between pairs, accepts plain integers as seconds, and rejects anything with "
                "leftover characters (typos, words, missing numbers, empty strings)."
            ),
            must_fail=("test_valid_durations",),
            partial=partial,
            partial_fail=("test_invalid_durations_raise",),
            partial_note=(
                "`findall` skips whatever doesn't match, so `"
                f"{h}h{m}x` quietly parses as {h}h and an empty string gives 0. The parser "
                "must account for every character."
            ),
            symbol=fn,
            blurb=f"Settings loader for the {d.pkg} service.",
        ),
    )


# --------------------------------------------------------------------------- LRU cache

_CACHE_FIFO = '''"""In-process cache for {{plural}} looked up by id."""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class {{cls}}(Generic[K, V]):
    """Bounded cache; evicts when more than `capacity` entries are stored."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self._data: dict[K, V] = {}

    def get(self, key: K, default: V | None = None) -> V | None:
        return self._data.get(key, default)

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        if len(self._data) > self.capacity:
            oldest = next(iter(self._data))
            del self._data[oldest]

    def __len__(self) -> int:
        return len(self._data)
'''

_CACHE_LRU = '''"""In-process cache for {{plural}} looked up by id."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class {{cls}}(Generic[K, V]):
    """Bounded cache that evicts the least recently *used* entry (reads count as use)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, default: V | None = None) -> V | None:
        if key not in self._data:
            return default
        self._data.move_to_end(key)
        return self._data[key]

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)
'''


def lru_cache(ctx: Ctx) -> Draft:
    d = domain(ctx)
    cls = ctx.pick(("LRUCache", f"{d.entity.title().replace('_', '')}Cache", "BoundedCache"))
    cap = ctx.rng.randint(2, 4)
    lay = py_layout(ctx, d.pkg, ctx.pick(("cache", "lookup_cache", "memo")))
    v = dict(cls=cls, plural=d.plural)
    before, after = fill(_CACHE_FIFO, **v), fill(_CACHE_LRU, **v)
    partial = swap(
        after,
        "        self._data[key] = value\n        self._data.move_to_end(key)\n",
        "        self._data[key] = value\n",
    )
    keys = [f"{d.entity[:3]}-{i}" for i in range(cap + 2)]
    fill_lines = "\n".join(f'    cache.put("{k}", {i})' for i, k in enumerate(keys[:cap]))
    cases = [
        f"""
def test_read_keeps_entry_alive():
    cache = {cls}({cap})
{fill_lines}
    assert cache.get("{keys[0]}") == 0
    cache.put("{keys[cap]}", {cap})
    assert cache.get("{keys[0]}") == 0
    assert cache.get("{keys[1]}") is None
""",
        f"""
def test_update_counts_as_use():
    cache = {cls}({cap})
{fill_lines}
    cache.put("{keys[0]}", 100)
    cache.put("{keys[cap]}", {cap})
    assert cache.get("{keys[0]}") == 100
    assert len(cache) == {cap}
""",
        f"""
def test_capacity_and_default():
    cache = {cls}(1)
    cache.put("a", 1)
    cache.put("b", 2)
    assert len(cache) == 1
    assert cache.get("a", "missing") == "missing"
    with pytest.raises(ValueError):
        {cls}(0)
""",
    ]
    tests = tests_file(f"import pytest\n\nfrom {lay.imp} import {cls}\n", cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_lru_cache",
            variant="fifo_to_lru",
            category=ctx.pick(("bug_fix", "feature")),
            difficulty="medium",
            summary=f"Make `{cls}` evict least-recently-used entries",
            repo=repo_name(ctx, d),
            layout=lay,
            before=before,
            after=after,
            tests=tests,
            user=(
                f"The {d.plural} cache hit rate is awful: our hottest {d.entity} ids get "
                f"evicted even though they're read constantly. `{cls}` in `{lay.module}` "
                "should be an LRU (reads and updates count as use). Please fix it."
            ),
            diagnosis=(
                "Eviction removes `next(iter(self._data))`, the first *inserted* key: that's "
                "FIFO. `get` doesn't touch order at all, so a key read a thousand times is "
                "evicted as soon as it's the oldest insert."
            ),
            plan=(
                "Back it with an `OrderedDict`: `move_to_end` on every hit and every put, "
                "evict with `popitem(last=False)`."
            ),
            explanation=(
                f"`{cls}` was FIFO: it evicted the oldest *inserted* key regardless of reads. "
                "It now keeps an `OrderedDict` in recency order: `get` and `put` move the key "
                "to the end, and eviction pops from the front, so the least recently used "
                "entry goes first. All operations stay O(1)."
            ),
            must_fail=("test_read_keeps_entry_alive",),
            partial=partial,
            partial_fail=("test_update_counts_as_use",),
            partial_note=(
                "Reads refresh recency now, but assigning to an existing key of an "
                "OrderedDict keeps its old position, so an updated entry can still be "
                "evicted first. `put` needs `move_to_end` too."
            ),
            symbol=cls,
            blurb=f"Lookup layer for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- token bucket

_BUCKET_STUB = '''"""Rate limiting for the {{pkg}} public API."""

from __future__ import annotations

import time
from collections.abc import Callable


class {{cls}}:
    """Token bucket: `rate` tokens per second, bursts of up to `capacity`."""

    def __init__(
        self, rate: float, capacity: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self.clock = clock

    def allow(self, cost: int = 1) -> bool:
        raise NotImplementedError
'''

_BUCKET = '''"""Rate limiting for the {{pkg}} public API."""

from __future__ import annotations

import time
from collections.abc import Callable


class {{cls}}:
    """Token bucket: `rate` tokens per second, bursts of up to `capacity`."""

    def __init__(
        self, rate: float, capacity: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.rate = rate
        self.capacity = capacity
        self.clock = clock
        self._tokens = float(capacity)
        self._last = clock()

    def allow(self, cost: int = 1) -> bool:
        """Take `cost` tokens if available; never blocks."""
        now = self.clock()
        elapsed = max(0.0, now - self._last)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._last = now
        if self._tokens >= cost:
            self._tokens -= cost
            return True
        return False
'''


def token_bucket(ctx: Ctx) -> Draft:
    d = domain(ctx)
    cls = ctx.pick(("TokenBucket", "RateLimiter", "Throttle"))
    rate = ctx.pick((1, 2, 5, 10))
    cap = ctx.pick((3, 5, 10))
    lay = py_layout(ctx, d.pkg, ctx.pick(("ratelimit", "throttling", "limits")))
    v = dict(cls=cls, pkg=d.pkg)
    before, after = fill(_BUCKET_STUB, **v), fill(_BUCKET, **v)
    partial = swap(
        after,
        "self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)",
        "self._tokens = self._tokens + elapsed * self.rate",
    )
    header = f"""import pytest

from {lay.imp} import {cls}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
"""
    cases = [
        f"""
def test_burst_up_to_capacity_then_refuse():
    clock = FakeClock()
    bucket = {cls}(rate={rate}, capacity={cap}, clock=clock)
    assert all(bucket.allow() for _ in range({cap}))
    assert bucket.allow() is False
""",
        f"""
def test_refills_at_rate():
    clock = FakeClock()
    bucket = {cls}(rate={rate}, capacity={cap}, clock=clock)
    for _ in range({cap}):
        bucket.allow()
    clock.now += 1.0
    assert sum(bucket.allow() for _ in range({cap} + 5)) == {min(rate, cap)}
""",
        f"""
def test_idle_time_does_not_exceed_capacity():
    clock = FakeClock()
    bucket = {cls}(rate={rate}, capacity={cap}, clock=clock)
    clock.now += 3600
    assert sum(bucket.allow() for _ in range({cap} * 3)) == {cap}
""",
        f"""
def test_cost_and_validation():
    clock = FakeClock()
    bucket = {cls}(rate={rate}, capacity={cap}, clock=clock)
    assert bucket.allow(cost={cap}) is True
    assert bucket.allow(cost=1) is False
    with pytest.raises(ValueError):
        {cls}(rate=0, capacity=1, clock=clock)
""",
    ]
    tests = tests_file(header, cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_token_bucket",
            variant=f"rate{rate}_cap{cap}",
            category="feature",
            difficulty="medium",
            summary=f"Implement token-bucket rate limiting in `{cls}`",
            repo=repo_name(ctx, d),
            layout=lay,
            before=before,
            after=after,
            tests=tests,
            user=(
                f"Please implement `{cls}.allow()` in `{lay.module}`: a token bucket that "
                f"permits bursts of up to {cap} requests and refills at {rate} tokens/second. "
                "It must be testable without sleeping (the clock is injectable), must not "
                "block, and long idle periods must not build up more than a full burst."
            ),
            diagnosis=(
                "The class has the constructor signature and an injectable clock, but "
                "`allow` is a stub and no state (tokens, last refill time) exists yet."
            ),
            plan=(
                "Keep a float token count starting full plus the last refill timestamp. On "
                "each call, add `elapsed * rate`, cap at capacity, then spend `cost` if there "
                "is enough."
            ),
            explanation=(
                f"`{cls}` now tracks a token count (starting full) and the time of the last "
                "refill. Each `allow()` call refills lazily by `elapsed * rate`, capped at "
                "`capacity` so idle time can't build an oversized burst, then spends `cost` "
                "tokens if available. The clock is injectable, so the tests use a fake clock "
                "instead of sleeping."
            ),
            must_fail=("test_burst_up_to_capacity_then_refuse",),
            partial=partial,
            partial_fail=("test_idle_time_does_not_exceed_capacity",),
            partial_note=(
                "Without the cap, an hour of idle time accumulates thousands of tokens and "
                "the next burst is unlimited. The refill must be clamped to `capacity`."
            ),
            symbol=cls,
            blurb=f"Public API for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- flatten

_FLAT_OLD = '''"""Export of nested {{entity}} documents to flat CSV columns."""

from __future__ import annotations

from typing import Any


def {{fn}}(doc: dict[str, Any], prefix: str = "", sep: str = ".") -> dict[str, Any]:
    """Flatten nested dicts into `a.b.c` keys."""
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update({{fn}}(value, name, sep))
        else:
            flat[name] = value
    return flat
'''

_FLAT = '''"""Export of nested {{entity}} documents to flat CSV columns."""

from __future__ import annotations

from typing import Any


def {{fn}}(doc: dict[str, Any], prefix: str = "", sep: str = ".") -> dict[str, Any]:
    """Flatten nested dicts and lists into `a.b.0.c` keys.

    List items are indexed from 0. Empty dicts and lists are kept as values so that no
    column silently disappears.
    """
    flat: dict[str, Any] = {}
    _walk(doc, prefix, sep, flat)
    return flat


def _walk(value: Any, name: str, sep: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list) and value:
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        out[name] = value
        return
    for key, child in items:
        _walk(child, f"{name}{sep}{key}" if name else key, sep, out)
'''


def flatten(ctx: Ctx) -> Draft:
    d = domain(ctx)
    fn = ctx.pick(("flatten", "flatten_doc", "to_columns"))
    lay = py_layout(ctx, d.pkg, ctx.pick(("export", "flatten_utils", "csv_export")))
    v = dict(fn=fn, entity=d.entity)
    before, after = fill(_FLAT_OLD, **v), fill(_FLAT, **v)
    partial = swap(
        after,
        "    else:\n        out[name] = value\n        return\n",
        "    elif isinstance(value, (dict, list)):\n        return\n"
        "    else:\n        out[name] = value\n        return\n",
    )
    tag1, tag2 = ctx.sample(d.words, 2)
    amount = ctx.rng.randint(10, 999)
    sep = ctx.pick((".", "__", "/"))
    doc = {
        "id": f"{d.entity[:3]}-{ctx.rng.randint(100, 999)}",
        d.amount_field: amount,
        "meta": {"tags": [tag1, tag2], "owner": {"name": "Ana"}},
        "lines": [{"sku": "A1", "qty": 2}, {"sku": "B7", "qty": 1}],
    }
    expected = {
        "id": doc["id"],
        d.amount_field: amount,
        "meta.tags.0": tag1,
        "meta.tags.1": tag2,
        "meta.owner.name": "Ana",
        "lines.0.sku": "A1",
        "lines.0.qty": 2,
        "lines.1.sku": "B7",
        "lines.1.qty": 1,
    }
    expected_sep = {k.replace(".", sep): val for k, val in expected.items()}
    cases = [
        f"""
DOC = {doc!r}
""",
        f"""
def test_lists_are_indexed():
    assert {fn}(DOC) == {expected!r}
""",
        f"""
def test_custom_separator():
    assert {fn}(DOC, sep={sep!r}) == {expected_sep!r}
""",
        f"""
def test_empty_containers_are_kept():
    assert {fn}({{"a": {{}}, "b": [], "c": {{"d": []}}}}) == {{"a": {{}}, "b": [], "c.d": []}}
""",
    ]
    tests = tests_file(f"from {lay.imp} import {fn}\n\n" + cases[0].strip() + "\n", cases[1:])
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_flatten",
            variant="lists",
            category="feature",
            difficulty="medium",
            summary=f"Flatten lists and keep empty containers in `{fn}`",
            repo=repo_name(ctx, d),
            layout=lay,
            before=before,
            after=after,
            tests=tests,
            user=(
                f"The CSV export of {d.plural} puts whole Python lists into one cell, e.g. "
                f"`meta.tags` shows `{[tag1, tag2]!r}`. Please make `{fn}` in `{lay.module}` "
                "index list items (`meta.tags.0`, `meta.tags.1`, also lists of dicts) and "
                "keep empty dicts/lists as values so columns don't vanish."
            ),
            diagnosis=(
                "The recursion only descends into dicts; lists fall through to the leaf "
                "branch and are stored whole. Also an empty dict recurses into nothing, so "
                "its key disappears from the output."
            ),
            plan=(
                "Walk dicts and non-empty lists alike (list indices as keys) and treat empty "
                "containers and scalars as leaves."
            ),
            explanation=(
                f"`{fn}` now walks non-empty dicts and lists alike, using list indices as key "
                "parts, so `lines.0.sku` and `meta.tags.1` become their own columns. Empty "
                "containers are leaves, which keeps their column in the export. The separator "
                "is still configurable."
            ),
            must_fail=("test_lists_are_indexed",),
            partial=partial,
            partial_fail=("test_empty_containers_are_kept",),
            partial_note=(
                "Lists are indexed now, but empty containers are dropped entirely, so the "
                "`a`/`b` columns vanish. They should be stored as leaf values."
            ),
            symbol=fn,
            blurb=f"Reporting exports for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- byte sizes

_BYTES_STUB = '''"""Formatting helpers for {{what}}."""

from __future__ import annotations


def {{fn}}(size: int) -> str:
    """Human-readable size."""
    return f"{size} B"
'''

_BYTES = '''"""Formatting helpers for {{what}}."""

from __future__ import annotations

_UNITS = {{units}}


def {{fn}}(size: int, precision: int = 1) -> str:
    """Human-readable size with {{base}}-based units, e.g. '1.5 {{u1}}'; bytes stay integral."""
    if size < 0:
        raise ValueError("size must be >= 0")
    value = float(size)
    for unit in _UNITS:
        if value < {{base}} or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.{precision}f} {unit}"
        value /= {{base}}
    raise AssertionError("unreachable")
'''


def byte_sizes(ctx: Ctx) -> Draft:
    d = domain(ctx)
    iec = ctx.chance(0.6)
    base = 1024 if iec else 1000
    units = ["B", "KiB", "MiB", "GiB", "TiB"] if iec else ["B", "kB", "MB", "GB", "TB"]
    fn = ctx.pick(("format_bytes", "human_size", "pretty_size"))
    what = ctx.pick(("attachment listings", "upload progress", "storage quotas", "backup reports"))
    lay = py_layout(ctx, d.pkg, ctx.pick(("sizes", "humanize", "fmt")))
    v = dict(fn=fn, what=what, units=repr(units), base=base, u1=units[1])
    before, after = fill(_BYTES_STUB, **v), fill(_BYTES, **v)
    partial = swap(after, f"if value < {base} or", f"if value <= {base} or")
    n = ctx.rng.randint(2, 9)
    cases = [
        f"""
@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        ({base - 1}, "{base - 1} B"),
        ({base}, "1.0 {units[1]}"),
        ({base + base // 2}, "1.5 {units[1]}"),
        ({n} * {base}**2, "{n}.0 {units[2]}"),
        ({base}**5 * 3, "{3 * base}.0 {units[4]}"),
    ],
)
def test_formatting(size, text):
    assert {fn}(size) == text
""",
        f"""
def test_precision():
    assert {fn}({base + base // 4}, precision=2) == "1.25 {units[1]}"
""",
        f"""
def test_negative_raises():
    with pytest.raises(ValueError):
        {fn}(-1)
""",
    ]
    tests = tests_file(f"import pytest\n\nfrom {lay.imp} import {fn}\n", cases)
    unit_word = "binary (KiB, MiB, ...)" if iec else "decimal SI (kB, MB, ...)"
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_byte_sizes",
            variant="iec" if iec else "si",
            category="feature",
            difficulty="easy",
            summary=f"Implement human-readable sizes in `{fn}`",
            repo=repo_name(ctx, d),
            layout=lay,
            before=before,
            after=after,
            tests=tests,
            user=(
                f"For {what} we show raw byte counts like `{n * base**2} B`. Please make `{fn}` "
                f"in `{lay.module}` produce {unit_word} units with one decimal by default "
                "(configurable precision), plain integers for bytes, the largest unit capped "
                "at TB/TiB, and a ValueError for negative sizes."
            ),
            diagnosis=f"`{fn}` is a placeholder that always prints bytes.",
            plan=(
                f"Divide by {base} until the value drops below {base} or we run out of units; "
                "format bytes as an integer and the rest with the requested precision."
            ),
            explanation=(
                f"`{fn}` walks up the unit ladder, dividing by {base} until the value is below "
                f"{base} (or the largest unit is reached). Exactly {base} bytes is `1.0 "
                f"{units[1]}`, bytes are printed without decimals, precision is configurable, "
                "and negative sizes raise `ValueError`."
            ),
            must_fail=("test_formatting",),
            partial=partial,
            partial_fail=("test_formatting",),
            partial_note=(
                f"Off by one at the boundary: with `<=`, exactly {base} bytes stays in the "
                f"lower unit and prints `{base} B`. The comparison must be strict."
            ),
            symbol=fn,
            blurb=f"UI helpers for {d.plural}.",
        ),
    )


FAMILIES = [
    Family("py_slugify", "python", 1, slugify),
    Family("py_durations", "python", 1, durations),
    Family("py_lru_cache", "python", 1, lru_cache),
    Family("py_token_bucket", "python", 1, token_bucket),
    Family("py_flatten", "python", 1, flatten),
    Family("py_byte_sizes", "python", 1, byte_sizes),
]
