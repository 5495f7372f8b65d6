"""Python data-processing families: reports, aggregation, time series, log analysis."""

from __future__ import annotations

import datetime as dt
import posixpath
from collections import defaultdict
from decimal import Decimal

from fabricator.convo import Ctx, Draft
from fabricator.families import Family
from fabricator.families._common import fill, swap, tests_file
from fabricator.flows import PyLayout, PyTask, py_layout, python_fix_flow
from fabricator.vocab import domain, repo_name


def _fixture_path(lay: PyLayout, name: str) -> tuple[str, str]:
    """(repo path of a fixture next to the tests, the expression tests use to open it)."""
    folder = posixpath.dirname(lay.test_path)
    path = posixpath.join(folder, "fixtures", name) if folder else posixpath.join("fixtures", name)
    return path, f'Path(__file__).parent / "fixtures" / "{name}"'


# --------------------------------------------------------------------------- CSV totals

_TOTALS = '''"""Revenue report over {{plural}} exported as CSV."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path


def {{fn}}(path: str | Path, key: str = "{{key}}") -> dict[str, Decimal]:
    """Sum the `{{amount}}` column per `key`, exact to the cent; blank amounts count as 0."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            raw = (row["{{amount}}"] or "").strip()
            totals[row[key].strip()] += Decimal(raw) if raw else Decimal("0")
    return dict(sorted(totals.items()))
'''


def csv_totals(ctx: Ctx) -> Draft:
    d = domain(ctx)
    fn = ctx.pick(
        ("totals_by_customer", "sum_by_key", f"{d.amount_field}_per_owner", "group_totals")
    )
    key = d.owner_field
    lay = py_layout(ctx, d.pkg, ctx.pick(("reports", "revenue", "aggregates")))
    fixed = fill(_TOTALS, fn=fn, key=key, amount=d.amount_field, plural=d.plural)
    owners = ctx.sample(("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne"), 3)
    rows: list[tuple[str, str, str]] = []
    cents = ("0.10", "0.20", "19.99", "5.05", "100.00", "0.35", "12.40", "7.15")
    for i in range(ctx.rng.randint(7, 11)):
        owner = owners[i % 3]
        amount = ctx.pick(cents)
        rows.append((f"{d.entity[:3].upper()}-{1000 + i}", owner, amount))
    rows.append((f"{d.entity[:3].upper()}-{1000 + len(rows)}", owners[0], "0.10"))
    rows.append((f"{d.entity[:3].upper()}-{1000 + len(rows)}", owners[0], "0.20"))
    variant = ctx.pick(("float_sum", "blank_amount"))
    if variant == "blank_amount":
        rows.append((f"{d.entity[:3].upper()}-{1000 + len(rows)}", owners[1], ""))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for _, owner, amount in rows:
        totals[owner] += Decimal(amount) if amount else Decimal("0")
    csv_text = f"id,{key},{d.amount_field}\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)
    fixture, expr = _fixture_path(lay, f"{d.plural}.csv")
    if variant == "float_sum":
        buggy = swap(
            fixed,
            "totals: dict[str, Decimal] = defaultdict(Decimal)",
            "totals = defaultdict(float)",
        )
        buggy = swap(buggy, 'Decimal(raw) if raw else Decimal("0")', "float(raw or 0)")
        user = (
            f"The monthly {d.plural} report is off by fractions of a cent and finance's "
            f"reconciliation fails: {owners[0]} shows `{float(totals[owners[0]])!r}`-ish "
            f"numbers with long tails. `{fn}` in `{lay.module}` builds it from the CSV export; "
            f"a sample is at `{fixture}`."
        )
        diagnosis = (
            "Amounts are parsed with `float`, and binary floats can't represent most decimal "
            "cents (0.1 + 0.2 != 0.3), so sums drift. Money should be `Decimal` parsed "
            "straight from the CSV text."
        )
        cause = (
            "amounts were summed as binary floats, which cannot represent most cent values "
            "exactly, so the totals picked up tiny errors"
        )
        must: tuple[str, ...] = ("test_totals_are_exact",)
    else:
        buggy = swap(fixed, 'Decimal(raw) if raw else Decimal("0")', "Decimal(raw)")
        user = (
            f"The {d.plural} report job crashes with `decimal.InvalidOperation` since "
            f"yesterday's export. Some rows have an empty `{d.amount_field}` (e.g. voided "
            f"ones); those should count as zero. Code: `{fn}` in `{lay.module}`, sample data "
            f"in `{fixture}`."
        )
        diagnosis = (
            "`Decimal('')` raises `InvalidOperation`; the code passes the stripped cell "
            "straight to `Decimal`, so a blank amount kills the whole report."
        )
        cause = "an empty amount cell was handed to `Decimal()`, which rejects empty strings"
        must = ("test_totals_are_exact",)
    expected = {k: str(v) for k, v in sorted(totals.items())}
    header = (
        "from decimal import Decimal\nfrom pathlib import Path\n\n"
        f"from {lay.imp} import {fn}\n\nDATA = {expr}\n"
    )
    cases = [
        f"""
def test_totals_are_exact():
    got = {fn}(DATA)
    assert got == {{k: Decimal(v) for k, v in {expected!r}.items()}}
""",
        f"""
def test_small_amounts_do_not_drift():
    got = {fn}(DATA)
    assert str(got["{owners[0]}"]) == "{totals[owners[0]]}"
""",
        f"""
def test_keys_sorted_and_complete():
    assert list({fn}(DATA)) == {sorted(totals)!r}
""",
    ]
    tests = tests_file(header, cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_csv_totals",
            variant=variant,
            category="data",
            difficulty="easy",
            summary=f"Fix {d.plural} CSV totals ({variant.replace('_', ' ')})",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=user,
            diagnosis=diagnosis,
            plan="Parse amounts with `Decimal`, treat blanks as zero, and test against the "
            "sample export.",
            explanation=(
                f"The report broke because {cause}.\n\n`{fn}` now accumulates `Decimal` "
                "values parsed from the CSV "
                "text (blank cells count as 0), so totals are exact to the cent. The tests run "
                f"against the sample export in `{fixture}`."
            ),
            must_fail=must,
            fixtures={fixture: csv_text},
            reads=(fixture,) if ctx.chance(0.5) else (),
            symbol=fn,
            blurb=f"Finance reports for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- word counts

_WORDS = '''"""Keyword statistics over {{what}}."""

from __future__ import annotations

import re
from collections import Counter

STOPWORDS = frozenset({"the", "a", "an", "and", "or", "to", "of", "is", "it", "in", "for", "was"})


def {{fn}}(text: str, k: int = 5) -> list[tuple[str, int]]:
    """The `k` most frequent non-stopwords, case-insensitive; ties break alphabetically."""
    words = [w for w in re.findall(r"[a-z']+", text.lower()) if w not in STOPWORDS]
    counts = Counter(words)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:k]
'''


def word_counts(ctx: Ctx) -> Draft:
    d = domain(ctx)
    what = ctx.pick((f"{d.entity} comments", "support chats", "survey answers", "release notes"))
    fn = ctx.pick(("top_words", "keyword_counts", "frequent_terms"))
    lay = py_layout(ctx, d.pkg, ctx.pick(("keywords", "text_stats", "insights")))
    fixed = fill(_WORDS, fn=fn, what=what)
    w = ctx.sample(
        ("refund", "late", "broken", "great", "slow", "price", "support", "app", "login"), 4
    )
    # w[0] x3; w[3] and w[1] x2 each, w[3] first in the text but later alphabetically.
    if w[3] < w[1]:
        w[1], w[3] = w[3], w[1]
    text = (
        f"The {w[0]} was {w[3]}. {w[0].title()} and {w[1]}! "
        f"It is {w[3]} for the {w[0].upper()} and {w[1]}; {w[2]}."
    )
    tie = sorted([w[1], w[3]])
    variant = ctx.pick(("tie_order", "case_sensitive"))
    if variant == "tie_order":
        buggy = swap(
            fixed,
            "return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:k]",
            "return counts.most_common(k)",
        )
        must: tuple[str, ...] = ("test_ties_break_alphabetically",)
        user = (
            f"The keyword widget for {what} flickers between orders on refresh when two words "
            f"have the same count, and product wants ties sorted alphabetically. `{fn}` in "
            f"`{lay.module}`."
        )
        diagnosis = (
            "`Counter.most_common` orders equal counts by first occurrence in the input, not "
            "alphabetically, so the order of tied words depends on the text order."
        )
        cause = (
            "Words with equal counts kept whatever order they first appeared in, because "
            "`most_common` doesn't sort ties, so the widget order depended on the input text."
        )
    else:
        buggy = swap(
            fixed,
            'words = [w for w in re.findall(r"[a-z\']+", text.lower()) if w not in STOPWORDS]',
            'words = [w for w in re.findall(r"[A-Za-z\']+", text) if w not in STOPWORDS]',
        )
        must = ("test_counts_ignore_case",)
        user = (
            f"`{fn}` (in `{lay.module}`) counts `{w[0].title()}` and `{w[0]}` as different "
            "words, and capitalised stopwords like `The` show up in the top list. It should "
            "be case-insensitive."
        )
        diagnosis = (
            "The regex runs on the original text and matches upper-case letters, so words "
            "are counted per spelling, and `The` slips past the lower-case stopword set."
        )
        cause = (
            "Tokens kept their original capitalisation, so one word was split into several "
            "counts and capitalised stopwords were not recognised."
        )
    cases = [
        f"""
TEXT = {text!r}
""",
        f"""
def test_counts_ignore_case():
    assert {fn}(TEXT, k=1) == [("{w[0]}", 3)]
""",
        f"""
def test_ties_break_alphabetically():
    assert {fn}(TEXT, k=3) == [("{w[0]}", 3), ("{tie[0]}", 2), ("{tie[1]}", 2)]
""",
        f"""
def test_stopwords_and_empty():
    assert all(word not in {{"the", "and", "it", "is", "for"}} for word, _ in {fn}(TEXT, k=10))
    assert {fn}("", k=3) == []
""",
    ]
    tests = tests_file(f"from {lay.imp} import {fn}\n\n" + cases[0].strip() + "\n", cases[1:])
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_word_counts",
            variant=variant,
            category="data",
            difficulty="easy",
            summary=f"Fix keyword ranking in `{fn}` ({variant.replace('_', ' ')})",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=user,
            diagnosis=diagnosis,
            plan="Lower-case before tokenising, and sort by `(-count, word)` explicitly.",
            explanation=(
                f"**Root cause:** {cause}\n\n`{fn}` now lower-cases the text before "
                "tokenising (so "
                "stopwords match too) and sorts by descending count, then alphabetically, "
                "which makes the ranking deterministic."
            ),
            must_fail=must,
            symbol=fn,
            blurb=f"Analytics over {what}.",
        ),
    )


# --------------------------------------------------------------------------- moving average

_AVG = '''"""Smoothing for {{series}} charts."""

from __future__ import annotations

from collections.abc import Sequence


def {{fn}}(values: Sequence[float], window: int) -> list[float]:
    """Trailing mean over `window` points; early points average what exists so far."""
    if window < 1:
        raise ValueError("window must be >= 1")
    out: list[float] = []
    total = 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out
'''


def moving_average(ctx: Ctx) -> Draft:
    d = domain(ctx)
    series = f"daily {d.entity} {d.amount_field}"
    fn = ctx.pick(("moving_average", "rolling_mean", "smooth"))
    window = ctx.rng.randint(3, 5)
    values = [ctx.rng.randint(1, 40) * 5 for _ in range(window + 4)]
    lay = py_layout(ctx, d.pkg, ctx.pick(("smoothing", "series", "charts")))
    fixed = fill(_AVG, fn=fn, series=series)
    expected = []
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1) : i + 1]
        expected.append(sum(chunk) / len(chunk))
    variant = ctx.pick(("warmup_divisor", "window_off_by_one"))
    if variant == "warmup_divisor":
        buggy = swap(fixed, "out.append(total / min(i + 1, window))", "out.append(total / window)")
        must: tuple[str, ...] = ("test_warm_up_uses_available_points",)
        user = (
            f"The {series} chart always starts near zero and climbs, even when the first days "
            f"were busy. The smoothing is `{fn}` in `{lay.module}` (window={window})."
        )
        diagnosis = (
            f"During warm-up (the first {window - 1} points) the sum covers fewer than "
            "`window` values but is still divided by `window`, so early averages are "
            "scaled down."
        )
        cause = (
            f"the first {window - 1} averages divided a partial sum by the full window size, "
            "which drags the start of the chart towards zero"
        )
    else:
        buggy = swap(fixed, "if i >= window:", "if i > window:")
        must = ("test_full_windows",)
        user = (
            f"Numbers on the {series} chart look inflated once the series is longer than the "
            f"window. `{fn}` in `{lay.module}` is supposed to be a {window}-point trailing "
            "mean."
        )
        diagnosis = (
            "The value leaving the window is subtracted only when `i > window`, one step too "
            f"late: at `i == window` the sum holds {window + 1} values but is divided by "
            f"{window}, and from then on the running total stays one value too large."
        )
        cause = (
            "the oldest value left the running sum one step late, so every full window "
            f"summed {window + 1} points but divided by {window}"
        )
    cases = [
        f"""
VALUES = {values!r}
""",
        f"""
def test_warm_up_uses_available_points():
    got = {fn}(VALUES, {window})
    assert got[:{window - 1}] == pytest.approx({expected[: window - 1]!r})
""",
        f"""
def test_full_windows():
    got = {fn}(VALUES, {window})
    assert got[{window - 1}:] == pytest.approx({expected[window - 1 :]!r})
""",
        f"""
def test_window_of_one_is_identity_and_validation():
    assert {fn}(VALUES, 1) == pytest.approx(VALUES)
    assert {fn}([], 3) == []
    with pytest.raises(ValueError):
        {fn}(VALUES, 0)
""",
    ]
    tests = tests_file(
        f"import pytest\n\nfrom {lay.imp} import {fn}\n\n" + cases[0].strip() + "\n", cases[1:]
    )
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_moving_average",
            variant=variant,
            category="data",
            difficulty="medium",
            summary=f"Fix trailing moving average ({variant.replace('_', ' ')})",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=user,
            diagnosis=diagnosis,
            plan="Subtract the value leaving the window once `i >= window`, and divide by the "
            "number of values actually in the window.",
            explanation=(
                f"The chart was off because {cause}.\n\nFixed `{fn}`: the running total "
                "drops `values[i - window]` as "
                "soon as the window is full, and each mean divides by `min(i + 1, window)`. "
                "Tests compare warm-up and full windows against a direct computation."
            ),
            must_fail=must,
            symbol=fn,
            blurb=f"Dashboards for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- business days

_BDAYS = '''"""Working-day arithmetic for {{what}}."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta


def {{fn}}(start: date, end: date, holidays: Iterable[date] = ()) -> int:
    """Working days in [start, end): Monday to Friday, minus `holidays`."""
    if end < start:
        raise ValueError("end is before start")
    off = set(holidays)
    days = 0
    current = start
    while current < end:
        if current.weekday() < 5 and current not in off:
            days += 1
        current += timedelta(days=1)
    return days
'''


def _bdays(start: dt.date, end: dt.date, off: set[dt.date]) -> int:
    n, cur = 0, start
    while cur < end:
        if cur.weekday() < 5 and cur not in off:
            n += 1
        cur += dt.timedelta(days=1)
    return n


def business_days(ctx: Ctx) -> Draft:
    d = domain(ctx)
    what = ctx.pick(("SLA deadlines", "payment terms", "delivery estimates", "leave requests"))
    fn = ctx.pick(("business_days", "working_days_between", "count_workdays"))
    lay = py_layout(ctx, d.pkg, ctx.pick(("workdays", "calendar_utils", "sla")))
    fixed = fill(_BDAYS, fn=fn, what=what)
    year = ctx.rng.randint(2023, 2026)
    start = dt.date(year, ctx.rng.randint(1, 11), ctx.rng.randint(1, 20))
    while start.weekday() != 0:
        start += dt.timedelta(days=1)
    end = start + dt.timedelta(days=ctx.rng.randint(15, 30))
    holiday = start + dt.timedelta(days=ctx.pick((2, 3, 8, 9)))
    variant = ctx.pick(("saturday_counted", "holidays_ignored"))
    if variant == "saturday_counted":
        buggy = swap(fixed, "if current.weekday() < 5 and", "if current.weekday() < 6 and")
        must: tuple[str, ...] = ("test_weekends_are_skipped",)
        user = (
            f"Our {what} come out too early: a request opened on a Friday counts the Saturday "
            f"as a working day. `{fn}` in `{lay.module}`."
        )
        diagnosis = (
            "`date.weekday()` is 0 for Monday through 6 for Sunday, so `< 6` admits Saturday "
            "(5). Working days are `< 5`."
        )
        cause = "The weekday check let Saturday through (weekday 5), so Saturdays counted."
    else:
        buggy = swap(
            fixed, "if current.weekday() < 5 and current not in off:", "if current.weekday() < 5:"
        )
        must = ("test_holidays_are_skipped",)
        user = (
            f"We pass public holidays to `{fn}` ({lay.module}) but {what} still count them as "
            f"working days, e.g. {holiday.isoformat()}."
        )
        diagnosis = (
            "The function builds the `off` set from `holidays` but the loop never consults "
            "it, so holidays are counted like any weekday."
        )
        cause = (
            "The holiday list was accepted and turned into a set, but never checked inside "
            "the loop."
        )
    week = _bdays(start, start + dt.timedelta(days=7), set())
    span = _bdays(start, end, {holiday})
    cases = [
        f"""
def test_weekends_are_skipped():
    monday = date.fromisoformat("{start}")
    assert {fn}(monday, monday + timedelta(days=7)) == {week}
    friday = monday + timedelta(days=4)
    assert {fn}(friday, friday + timedelta(days=3)) == 1
""",
        f"""
def test_holidays_are_skipped():
    got = {fn}(
        date.fromisoformat("{start}"),
        date.fromisoformat("{end}"),
        holidays=[date.fromisoformat("{holiday}")],
    )
    assert got == {span}
""",
        f"""
def test_empty_range_and_validation():
    day = date.fromisoformat("{start}")
    assert {fn}(day, day) == 0
    with pytest.raises(ValueError):
        {fn}(day, date.fromisoformat("{start - dt.timedelta(days=1)}"))
""",
    ]
    tests = tests_file(
        f"from datetime import date, timedelta\n\nimport pytest\n\nfrom {lay.imp} import {fn}\n",
        cases,
    )
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_business_days",
            variant=variant,
            category=ctx.pick(("bug_fix", "data")),
            difficulty="easy",
            summary=f"Fix working-day count for {what}",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=user,
            diagnosis=diagnosis,
            plan="Count only `weekday() < 5` days that are not in the holiday set.",
            explanation=(
                f"**Root cause:** {cause}\n\n`{fn}` now counts a day only when it is "
                "Monday-Friday and not "
                "a listed holiday. Tests cover a full week, a Friday-to-Monday span, a range "
                "with a holiday, an empty range and an inverted range."
            ),
            must_fail=must,
            symbol=fn,
            blurb=f"Back office for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- access logs

_LOGS = '''"""Per-endpoint statistics from the {{service}} access log."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

_LINE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\\S+) HTTP/[\\d.]+" (?P<status>\\d{3}) (?P<size>\\d+|-) '
    r"(?P<seconds>[\\d.]+)$"
)


def {{fn}}(lines: Iterable[str]) -> dict[str, Any]:
    """Requests and 5xx errors per path (query strings ignored) plus unparsable lines."""
    stats: dict[str, dict[str, int]] = defaultdict(lambda: {"requests": 0, "errors": 0})
    skipped = 0
    for line in lines:
        match = _LINE.search(line.strip())
        if match is None:
            skipped += 1
            continue
        entry = stats[match["path"].split("?", 1)[0]]
        entry["requests"] += 1
        if match["status"].startswith("5"):
            entry["errors"] += 1
    return {"endpoints": dict(sorted(stats.items())), "skipped": skipped}
'''


def access_logs(ctx: Ctx) -> Draft:
    d = domain(ctx)
    service = f"{d.pkg}-api"
    fn = ctx.pick(("endpoint_stats", "summarize_access_log", "error_counts"))
    lay = py_layout(ctx, d.pkg, ctx.pick(("logstats", "access_log", "traffic")))
    fixed = fill(_LOGS, fn=fn, service=service)
    paths = [f"/api/{d.plural}", f"/api/{d.plural}/export", "/health"]
    lines: list[str] = []
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for i in range(ctx.rng.randint(10, 16)):
        path = ctx.pick(paths)
        query = ctx.pick(("", "", "?page=2", "?sort=desc&limit=50"))
        status = ctx.pick((200, 200, 200, 304, 404, 500, 502))
        size = "-" if status == 304 else str(ctx.rng.randint(90, 9000))
        secs = f"{ctx.rng.uniform(0.002, 1.5):.3f}"
        ip = f"10.0.{ctx.rng.randint(0, 9)}.{ctx.rng.randint(2, 250)}"
        lines.append(
            f'{ip} - - [12/Mar/2025:10:{i:02d}:17 +0000] "GET {path}{query} HTTP/1.1" '
            f"{status} {size} {secs}"
        )
        stats[path][0] += 1
        stats[path][1] += status >= 500
    lines.insert(
        ctx.rng.randint(1, 5),
        f'10.0.0.1 - - [12/Mar/2025:10:59:59 +0000] "GET {paths[0]}?page=3 HTTP/1.1" 304 - 0.004',
    )
    stats[paths[0]][0] += 1
    lines.insert(ctx.rng.randint(1, 5), "-- log rotated --")
    expected = {p: {"requests": r, "errors": e} for p, (r, e) in sorted(stats.items())}
    log_text = "\n".join(lines) + "\n"
    fixture, expr = _fixture_path(lay, "access.log")
    variant = ctx.pick(("dash_size", "query_string"))
    if variant == "dash_size":
        buggy = swap(fixed, "(?P<size>\\d+|-)", "(?P<size>\\d+)")
        must: tuple[str, ...] = ("test_counts_per_endpoint",)
        user = (
            f"The traffic dashboard under-counts `{paths[0]}`: nginx says there were more hits "
            f"than `{fn}` in `{lay.module}` reports, and `skipped` is higher than the number "
            f"of junk lines. Sample log: `{fixture}`."
        )
        diagnosis = (
            "The regex requires the size field to be digits, but nginx logs `-` when no body "
            "is sent (304 Not Modified). Those lines don't match and are counted as skipped."
        )
        cause = (
            "Responses without a body (304s) have `-` in the size column, which the line "
            "pattern rejected, so those requests were counted as junk."
        )
    else:
        buggy = swap(
            fixed, 'entry = stats[match["path"].split("?", 1)[0]]', 'entry = stats[match["path"]]'
        )
        must = ("test_counts_per_endpoint",)
        user = (
            f"`{fn}` in `{lay.module}` lists `{paths[0]}?page=2` and `{paths[0]}` as separate "
            f"endpoints, so the per-endpoint error rates are meaningless. Query strings should "
            f"be ignored. Sample log: `{fixture}`."
        )
        diagnosis = "The path is used as the key verbatim, including its query string."
        cause = (
            "Requests were grouped by their full target, query string included, so every "
            "distinct query became its own endpoint."
        )
    cases = [
        f"""
def load():
    return {fn}(LOG.read_text(encoding="utf-8").splitlines())
""",
        f"""
def test_counts_per_endpoint():
    assert load()["endpoints"] == {expected!r}
""",
        """
def test_only_junk_is_skipped():
    assert load()["skipped"] == 1
""",
        f"""
def test_empty_input():
    assert {fn}([]) == {{"endpoints": {{}}, "skipped": 0}}
""",
    ]
    tests = tests_file(
        f"from pathlib import Path\n\nfrom {lay.imp} import {fn}\n\nLOG = {expr}\n", cases
    )
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_access_logs",
            variant=variant,
            category=ctx.pick(("data", "debugging")),
            difficulty="medium",
            summary=f"Fix access-log endpoint statistics ({variant.replace('_', ' ')})",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=user,
            diagnosis=diagnosis,
            plan="Accept `-` as the size and key statistics by the path without its query.",
            explanation=(
                f"**Root cause:** {cause}\n\nThe line regex now accepts `-` for the size, "
                "and paths are "
                "keyed without their query string. Tests run against the sample log and check "
                "per-endpoint counts, that only the junk line is skipped, and empty input."
            ),
            must_fail=must,
            fixtures={fixture: log_text},
            reads=(fixture,) if ctx.chance(0.6) else (),
            symbol=fn,
            blurb=f"Operations tooling for {service}.",
        ),
    )


FAMILIES = [
    Family("py_csv_totals", "python", 1, csv_totals),
    Family("py_word_counts", "python", 1, word_counts),
    Family("py_moving_average", "python", 1, moving_average),
    Family("py_business_days", "python", 1, business_days),
    Family("py_access_logs", "python", 1, access_logs),
]
