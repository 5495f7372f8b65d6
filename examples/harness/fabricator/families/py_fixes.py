"""Python bug-fix families: a defect in existing code, reproduced, fixed and verified."""

from __future__ import annotations

from fabricator.convo import Ctx, Draft
from fabricator.families import Family
from fabricator.families._common import fill, q, swap, tests_file
from fabricator.flows import PyTask, py_layout, python_fix_flow
from fabricator.vocab import domain, repo_name

# --------------------------------------------------------------------------- pagination

_PAGINATION = '''"""Pagination helpers for {{plural}} listings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def {{fn}}(items: Sequence[T], page: int, {{pp}}: int = {{default}}) -> list[T]:
    """Return the items on 1-based `page`, `{{pp}}` items per page."""
    if page < 1:
        raise ValueError("page must be >= 1")
    if {{pp}} < 1:
        raise ValueError("{{pp}} must be >= 1")
    start = (page - 1) * {{pp}}
    return list(items[start : start + {{pp}}])


def page_count(total: int, {{pp}}: int = {{default}}) -> int:
    """Number of pages needed to show `total` items."""
    if total <= 0:
        return 0
    return (total + {{pp}} - 1) // {{pp}}
'''

_PAGINATION_TESTS = {
    "first": """
def test_first_page_starts_at_first_item():
    assert {{fn}}(ITEMS, 1, {{pp}}={{k}}) == ITEMS[:{{k}}]
""",
    "overlap": """
def test_pages_do_not_overlap():
    first = {{fn}}(ITEMS, 1, {{pp}}={{k}})
    second = {{fn}}(ITEMS, 2, {{pp}}={{k}})
    assert not set(first) & set(second)
    assert second[0] == ITEMS[{{k}}]
""",
    "last": """
def test_last_page_is_partial():
    last = page_count(len(ITEMS), {{pp}}={{k}})
    assert {{fn}}(ITEMS, last, {{pp}}={{k}}) == ITEMS[(last - 1) * {{k}} :]
""",
    "count": """
def test_page_count_rounds_up():
    assert page_count({{n}}, {{pp}}={{k}}) == {{pages}}
    assert page_count({{k}} * 2, {{pp}}={{k}}) == 2
    assert page_count(0, {{pp}}={{k}}) == 0
""",
    "past": """
def test_page_past_the_end_is_empty():
    assert {{fn}}(ITEMS, {{far}}, {{pp}}={{k}}) == []
""",
    "zero": """
def test_rejects_page_zero():
    with pytest.raises(ValueError):
        {{fn}}(ITEMS, 0, {{pp}}={{k}})
""",
}


def pagination(ctx: Ctx) -> Draft:
    d = domain(ctx)
    fn = ctx.pick(("paginate", "get_page", "page_slice", f"page_of_{d.plural}"))
    pp = ctx.pick(("per_page", "page_size", "size", "limit"))
    k = ctx.rng.randint(3, 12)
    n = k * ctx.rng.randint(2, 5) + ctx.rng.randint(2, k - 1)
    pages = -(-n // k)
    lay = py_layout(ctx, d.pkg, ctx.pick(("pagination", "paging", "listing")))
    v = dict(fn=fn, pp=pp, k=k, n=n, pages=pages, far=pages + 3, default=ctx.pick((10, 20, 25, 50)))
    v["plural"] = d.plural
    fixed = fill(_PAGINATION, **v)
    variant = ctx.pick(("skip_first_page", "overlap", "page_count_floor"))
    partial = None
    partial_fail: tuple[str, ...] = ()
    partial_note = ""
    count_fix = f"return (total + {pp} - 1) // {pp}"
    if variant == "skip_first_page":
        buggy = swap(fixed, f"start = (page - 1) * {pp}", f"start = page * {pp}")
        must = ("test_first_page_starts_at_first_item",)
        user = (
            f"The {d.plural} list never shows the newest {k} {d.plural}: page 1 from "
            f"`{fn}()` in `{lay.module}` already starts at item {k + 1}. Pages are 1-based "
            "in our API (page=0 is rejected). Please fix it and add tests."
        )
        diagnosis = (
            f"`start = page * {pp}` treats `page` as 0-based, but the function rejects "
            f"page 0 and callers pass 1-based pages. Page 1 therefore begins at index {k}, "
            "so the first page is skipped and the last page comes back empty."
        )
        plan = f"The offset must be `(page - 1) * {pp}`; the slice end follows from it."
        root = f"the slice offset was `page * {pp}`, i.e. 0-based, while pages are 1-based"
    elif variant == "overlap":
        buggy = swap(fixed, f"items[start : start + {pp}]", f"items[start : start + {pp} + 1]")
        must = ("test_pages_do_not_overlap",)
        user = (
            f"Every page of {d.plural} has {k + 1} rows instead of {k}, and the last row of "
            f"each page is repeated as the first row of the next one. The helper is `{fn}` "
            f"in `{lay.module}`. Can you fix it?"
        )
        diagnosis = (
            f"The slice end is `start + {pp} + 1`: Python slices already exclude the end "
            "index, so the `+ 1` pulls in the first item of the following page. That "
            "explains both symptoms (one extra row, repeated at the top of the next page)."
        )
        plan = f"Drop the `+ 1` so each page is exactly `items[start : start + {pp}]`."
        root = "the slice end had a stray `+ 1`, so each page included the next page's first item"
    else:
        buggy = swap(fixed, count_fix, f"return total // {pp}")
        must = ("test_page_count_rounds_up",)
        partial = swap(fixed, count_fix, f"return total // {pp} + 1")
        partial_fail = ("test_page_count_rounds_up",)
        partial_note = (
            f"`total // {pp} + 1` over-counts whenever the total is an exact multiple of "
            f"{pp} (two full pages become three). Ceiling division, `(total + {pp} - 1) // "
            f"{pp}`, is right for both cases."
        )
        user = (
            f"With {n} {d.plural} and {k} per page the UI says there are {n // k} pages, so "
            f"the last {n % k} {d.plural} can never be reached. `page_count` lives in "
            f"`{lay.module}`. Please fix and cover it with tests."
        )
        diagnosis = (
            f"`page_count` uses floor division: {n} // {k} = {n // k}, dropping the partial "
            f"last page of {n % k} items. It needs to round up."
        )
        plan = "Use ceiling division in `page_count`, keeping 0 pages for an empty list."
        root = "`page_count` used floor division and dropped the partial last page"
    header = fill(
        "import pytest\n\nfrom {{imp}} import {{fn}}, page_count\n\n"
        'ITEMS = [f"{{entity}}-{i}" for i in range(1, {{n}} + 1)]\n',
        imp=lay.imp,
        fn=fn,
        n=n,
        entity=d.entity,
    )
    cases = {key: fill(body, **v) for key, body in _PAGINATION_TESTS.items()}
    order = ["first", "overlap", "last", "count", "past", "zero"]
    tests = tests_file(header, [cases[key] for key in order])
    tests_before = tests_file(header, [cases["past"], cases["zero"]]) if ctx.chance(0.5) else None
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_pagination",
            variant=variant,
            category="bug_fix",
            difficulty="easy",
            summary=f"Fix {variant.replace('_', ' ')} bug in {d.plural} pagination",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            tests_before=tests_before,
            user=user,
            diagnosis=diagnosis,
            plan=plan,
            explanation=(
                f"Fixed: {root}. `{fn}` and `page_count` now agree on 1-based pages of "
                f"`{pp}` items, and the new tests cover the first, middle and partial last "
                "page, the page count, and out-of-range pages."
            ),
            must_fail=must,
            partial=partial,
            partial_fail=partial_fail,
            partial_note=partial_note,
            symbol="page_count" if variant == "page_count_floor" else fn,
            blurb=f"Listing and pagination helpers for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- mutable default

_EVENTS = '''"""Audit events emitted when {{plural}} change."""

from __future__ import annotations

from typing import Any


def {{fn}}(action: str, {{entity}}_id: str, tags: list[str] | None = None) -> dict[str, Any]:
    """Build the audit event for `action` on one {{entity}}; `tags` is never modified."""
    all_tags = [*(tags or []), f"{{entity}}:{{{entity}}_id}"]
    return {"action": action, "{{entity}}_id": {{entity}}_id, "tags": all_tags}
'''

_EVENTS_BUGGY = '''"""Audit events emitted when {{plural}} change."""

from __future__ import annotations

from typing import Any


def {{fn}}(action: str, {{entity}}_id: str, tags: list[str] = []) -> dict[str, Any]:
    """Build the audit event for `action` on one {{entity}}."""
    tags.append(f"{{entity}}:{{{entity}}_id}")
    return {"action": action, "{{entity}}_id": {{entity}}_id, "tags": tags}
'''

_EVENTS_PARTIAL = '''"""Audit events emitted when {{plural}} change."""

from __future__ import annotations

from typing import Any


def {{fn}}(action: str, {{entity}}_id: str, tags: list[str] | None = None) -> dict[str, Any]:
    """Build the audit event for `action` on one {{entity}}."""
    if tags is None:
        tags = []
    tags.append(f"{{entity}}:{{{entity}}_id}")
    return {"action": action, "{{entity}}_id": {{entity}}_id, "tags": tags}
'''

_QUERY = '''"""Request builders for the {{plural}} HTTP client."""

from __future__ import annotations

from typing import Any


def {{fn}}(path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    """Describe a GET request; JSON is the default format. `params` is never modified."""
    query = dict(params or {})
    query.setdefault("format", "json")
    return {"method": "GET", "path": path, "query": query}
'''

_QUERY_BUGGY = '''"""Request builders for the {{plural}} HTTP client."""

from __future__ import annotations

from typing import Any


def {{fn}}(path: str, params: dict[str, str] = {}) -> dict[str, Any]:
    """Describe a GET request; JSON is the default format."""
    params.setdefault("format", "json")
    return {"method": "GET", "path": path, "query": params}
'''

_QUERY_PARTIAL = '''"""Request builders for the {{plural}} HTTP client."""

from __future__ import annotations

from typing import Any


def {{fn}}(path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    """Describe a GET request; JSON is the default format."""
    if params is None:
        params = {}
    params.setdefault("format", "json")
    return {"method": "GET", "path": path, "query": params}
'''


def mutable_default(ctx: Ctx) -> Draft:
    d = domain(ctx)
    variant = ctx.pick(("list_tags", "dict_params"))
    a, b = (f"{d.entity[:2]}-{ctx.rng.randint(100, 999)}" for _ in range(2))
    if variant == "list_tags":
        fn = ctx.pick((f"{d.entity}_event", f"build_{d.entity}_event", "audit_event"))
        lay = py_layout(ctx, d.pkg, ctx.pick(("audit", "events", "audit_log")))
        v = dict(fn=fn, entity=d.entity, plural=d.plural)
        fixed, buggy, partial = (fill(t, **v) for t in (_EVENTS, _EVENTS_BUGGY, _EVENTS_PARTIAL))
        cases = [
            f"""
def test_events_do_not_share_tags():
    {fn}("created", "{a}")
    second = {fn}("created", "{b}")
    assert second["tags"] == ["{d.entity}:{b}"]
""",
            f"""
def test_caller_tags_are_not_modified():
    base = ["source:api"]
    event = {fn}("updated", "{a}", tags=base)
    assert base == ["source:api"]
    assert event["tags"] == ["source:api", "{d.entity}:{a}"]
""",
            f"""
def test_event_fields():
    event = {fn}("deleted", "{b}")
    assert event["action"] == "deleted"
    assert event["{d.entity}_id"] == "{b}"
""",
        ]
        must: tuple[str, ...] = ("test_events_do_not_share_tags",)
        partial_fail = ("test_caller_tags_are_not_modified",)
        user = (
            f"Audit events for {d.plural} sometimes carry tags of unrelated {d.plural}: after a "
            f"while an event for {d.entity} {b} also lists `{d.entity}:{a}`, and the list keeps "
            f"growing until the worker restarts. `{fn}` is in `{lay.module}`."
        )
        diagnosis = (
            "Classic mutable default argument: `tags: list[str] = []` is evaluated once, when "
            "the function is defined, and every call without `tags` appends to that same "
            "list. In a long-running worker it accumulates every id ever seen, which is "
            "exactly the growing tag list in the report."
        )
        partial_note = (
            "The shared default is gone, but `tags.append` still mutates the list the caller "
            "passed in, so a caller reusing a base tag list would see it grow. Build a new "
            "list instead of appending in place."
        )
    else:
        fn = ctx.pick(("list_request", f"{d.plural}_request", "build_request"))
        lay = py_layout(ctx, d.pkg, ctx.pick(("client", "request_builder", "http_api")))
        v = dict(fn=fn, plural=d.plural)
        fixed, buggy, partial = (fill(t, **v) for t in (_QUERY, _QUERY_BUGGY, _QUERY_PARTIAL))
        cases = [
            f"""
def test_default_query_is_fresh_per_call():
    first = {fn}("/{d.plural}")
    first["query"]["page"] = "9"
    second = {fn}("/{d.plural}/{a}")
    assert second["query"] == {{"format": "json"}}
""",
            f"""
def test_caller_params_are_not_modified():
    params = {{"{d.owner_field}": "{b}"}}
    request = {fn}("/{d.plural}", params)
    assert params == {{"{d.owner_field}": "{b}"}}
    assert request["query"] == {{"{d.owner_field}": "{b}", "format": "json"}}
""",
            f"""
def test_explicit_format_wins():
    request = {fn}("/{d.plural}", {{"format": "csv"}})
    assert request["query"]["format"] == "csv"
    assert request["method"] == "GET"
""",
        ]
        must = ("test_default_query_is_fresh_per_call", "test_caller_params_are_not_modified")
        partial_fail = ("test_caller_params_are_not_modified",)
        user = (
            f"Weird one: after the `/{d.plural}?page=9` call, *every* later request from our "
            f"{d.plural} client also asks for page 9, and the filter dict we pass in comes back "
            f"with an extra `format` key. The builder is `{fn}` in `{lay.module}`."
        )
        diagnosis = (
            "`params: dict[str, str] = {}` is a single dict created at definition time. The "
            "function returns it as `query`, the caller sets `page` on it, and every later "
            "call without params gets that same dict back. When params are passed, "
            "`setdefault` writes `format` into the caller's dict."
        )
        partial_note = (
            "The default is fixed, but a caller's dict is still modified in place "
            "(`setdefault` on `params`). Copy it first: `query = dict(params or {})`."
        )
    tests = tests_file(f"from {lay.imp} import {fn}\n", cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_mutable_default",
            variant=variant,
            category="bug_fix",
            difficulty="medium",
            summary=f"Fix shared mutable default argument in `{fn}`",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=user,
            diagnosis=diagnosis,
            plan="Default to `None` and build a fresh object inside the function, without "
            "touching the caller's argument.",
            explanation=(
                f"**Root cause:** `{fn}` used a mutable default argument, which Python creates "
                "once and shares between calls, and it also modified the argument it was "
                "given.\n\n**Fix:** the default is now `None`, and the function builds a new "
                "container from the argument instead of mutating it. Regression tests cover "
                "state leaking between calls and mutation of the caller's data."
            ),
            must_fail=must,
            partial=partial,
            partial_fail=partial_fail,
            partial_note=partial_note,
            symbol=fn,
            blurb=f"Service code for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- semver

_SEMVER = '''"""Client version checks for the {{pkg}} API."""

from __future__ import annotations


def parse_version(text: str) -> tuple[int, int, int]:
    """'1.4.2' or 'v1.4.2' -> (1, 4, 2); missing parts count as 0."""
    parts = text.strip().lstrip("v").split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a version: {text!r}")
    numbers = [int(p) for p in parts] + [0] * (3 - len(parts))
    return (numbers[0], numbers[1], numbers[2])


def {{fn}}(client_version: str, minimum: str = "{{minimum}}") -> bool:
    """True when `client_version` is at least `minimum`."""
    return parse_version(client_version) >= parse_version(minimum)
'''


def semver(ctx: Ctx) -> Draft:
    d = domain(ctx)
    fn = ctx.pick(("is_supported", "meets_minimum", "client_supported", "version_ok"))
    major, minor = ctx.rng.randint(1, 4), ctx.rng.randint(10, 19)
    minimum = f"{major}.9.0"
    lay = py_layout(ctx, d.pkg, ctx.pick(("versioning", "compat", "client_version")))
    fixed = fill(_SEMVER, fn=fn, minimum=minimum, pkg=d.pkg)
    buggy = swap(
        fixed,
        "return parse_version(client_version) >= parse_version(minimum)",
        'return client_version.lstrip("v") >= minimum.lstrip("v")',
    )
    newer = f"{major}.{minor}.{ctx.rng.randint(0, 5)}"
    older = f"{major}.8.{ctx.rng.randint(10, 30)}"
    cases = [
        f"""
def test_two_digit_minor_is_newer():
    assert {fn}("{newer}", "{minimum}") is True
""",
        f"""
def test_older_version_is_rejected():
    assert {fn}("{major}.9.{ctx.rng.randint(1, 9)}", "{major}.{minor}.0") is False
    assert {fn}("{older}", "{minimum}") is False
""",
        f"""
def test_equal_and_prefixed_versions():
    assert {fn}("{minimum}", "{minimum}") is True
    assert {fn}("v{major + 1}.0.0", "{minimum}") is True
""",
        f"""
def test_short_versions_are_padded():
    assert parse_version("{major}.{minor}") == ({major}, {minor}, 0)
""",
        f"""
def test_garbage_version_raises():
    with pytest.raises(ValueError):
        {fn}("latest", "{minimum}")
""",
    ]
    tests = tests_file(f"import pytest\n\nfrom {lay.imp} import {fn}, parse_version\n", cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_semver",
            variant="string_compare",
            category="bug_fix",
            difficulty="easy",
            summary="Compare client versions numerically instead of as strings",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=(
                f"Users on app version {newer} are told to upgrade, but our minimum supported "
                f"version is {minimum}. Meanwhile someone on {older} got through. The check is "
                f"`{fn}` in `{lay.module}`."
            ),
            diagnosis=(
                f"`{fn}` compares the raw strings, so the comparison is lexicographic: "
                f'"{newer}" < "{minimum}" because the character "1" sorts before "9", while '
                f'"{older}" passes on the strength of its longer patch number. `parse_version` '
                "already exists but is never used."
            ),
            plan="Compare `parse_version(...)` tuples; that also rejects garbage input.",
            explanation=(
                f"The version gate compared strings, so `{newer}` looked older than "
                f'`{minimum}` ("1" < "9" character by character). It now compares integer '
                "tuples from `parse_version`, which also pads short versions and raises "
                "`ValueError` for strings like `latest` instead of letting them through."
            ),
            must_fail=("test_two_digit_minor_is_newer", "test_garbage_version_raises"),
            fail_note=f'`{fn}("{newer}", "{minimum}")` returns False.',
            symbol=fn,
            blurb=f"API for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- intervals

_INTERVALS = '''"""Merging of {{label}} given as (start, end) minutes since midnight."""

from __future__ import annotations

Window = tuple[int, int]


def {{fn}}(windows: list[Window]) -> list[Window]:
    """Merge overlapping or touching windows; the result is sorted by start."""
    merged: list[Window] = []
    for start, end in sorted(windows):
        if start > end:
            raise ValueError(f"window ends before it starts: {(start, end)}")
        if merged and start <= merged[-1][1]:
            last_start, last_end = merged[-1]
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged
'''


def intervals(ctx: Ctx) -> Draft:
    d = domain(ctx)
    label = ctx.pick(
        (
            "maintenance windows",
            "delivery slots",
            "on-call shifts",
            "busy calendar blocks",
            "opening hours",
        )
    )
    fn = ctx.pick(("merge_windows", "merge_slots", "coalesce", "merge_intervals"))
    lay = py_layout(ctx, d.pkg, ctx.pick(("windows", "schedule", "timeslots")))
    fixed = fill(_INTERVALS, fn=fn, label=label)
    r = ctx.rng
    s1 = r.randrange(6, 10) * 60
    e1 = s1 + r.choice((60, 90, 120))
    s2 = s1 + 30
    e2 = e1 + r.choice((30, 45, 60))
    s3 = e2 + r.choice((60, 120, 180))
    e3 = s3 + 30
    outer = (r.randrange(12, 14) * 60, r.randrange(16, 18) * 60)
    inner = (outer[0] + 30, outer[0] + 90)
    t1 = r.randrange(18, 20) * 60
    t2, t3 = t1 + 45, t1 + 105
    variant = ctx.pick(("unsorted", "contained", "touching"))
    if variant == "unsorted":
        buggy = swap(fixed, "for start, end in sorted(windows):", "for start, end in windows:")
        must = ("test_unsorted_input",)
        symptom = (
            f"When the {label} arrive out of order the merge result has overlapping entries, "
            f"e.g. ({s3}, {e3}) followed by ({s1}, {e1}) and ({s2}, {e2}) is not merged "
            "properly."
        )
        diagnosis = (
            "The loop only compares each window with the last merged one, which is correct "
            "only if windows come sorted by start. Nothing sorts them, so an earlier window "
            "arriving late is appended instead of merged, and the output is not even sorted."
        )
        plan = "Iterate over `sorted(windows)`; tuples sort by start, then end."
        cause = (
            f"`{fn}` assumed its input was already ordered by start time. Only then is "
            "comparing each window with the previous merged one enough; a window that "
            "arrived late was appended instead of merged."
        )
        change = "The loop now walks `sorted(windows)`, so input order no longer matters."
    elif variant == "contained":
        buggy = swap(
            fixed,
            "merged[-1] = (last_start, max(last_end, end))",
            "merged[-1] = (last_start, end)",
        )
        must = ("test_contained_window_keeps_outer_end",)
        symptom = (
            f"A short window inside a longer one truncates it: merging {outer} and {inner} "
            f"gives ({outer[0]}, {inner[1]})."
        )
        diagnosis = (
            "On overlap the merged end becomes the new window's end. That is right when the "
            "new window sticks out, wrong when it lies inside the previous one: the end "
            "moves backwards."
        )
        plan = "Take `max(last_end, end)` as the merged end."
        cause = (
            f"When two windows overlapped, `{fn}` replaced the end with the later window's "
            f"end, so a window nested inside a longer one (like {inner} inside {outer}) "
            "shortened it."
        )
        change = "The merged end is now `max(last_end, end)`, so a window can only grow."
    else:
        buggy = swap(
            fixed,
            "if merged and start <= merged[-1][1]:",
            "if merged and start < merged[-1][1]:",
        )
        must = ("test_touching_windows_merge",)
        symptom = (
            f"Back-to-back {label} such as ({t1}, {t2}) and ({t2}, {t3}) are not merged, so "
            "the UI shows two blocks where the docstring promises one."
        )
        diagnosis = (
            "The overlap test is `start < last_end`, so windows that touch (end equals the "
            "next start) are treated as separate, contradicting the docstring."
        )
        plan = "Use `<=` so touching windows merge."
        cause = (
            f"The overlap check used a strict `<`, so windows that meet exactly (one ends "
            f"at {t2}, the next starts at {t2}) were kept apart, unlike the docstring says."
        )
        change = "The check is now `start <= last_end`, so touching windows merge."
    cases = [
        f"""
def test_unsorted_input():
    got = {fn}([({s3}, {e3}), ({s1}, {e1}), ({s2}, {e2})])
    assert got == [({s1}, {e2}), ({s3}, {e3})]
""",
        f"""
def test_contained_window_keeps_outer_end():
    assert {fn}([{outer}, {inner}]) == [{outer}]
""",
        f"""
def test_touching_windows_merge():
    assert {fn}([({t1}, {t2}), ({t2}, {t3})]) == [({t1}, {t3})]
""",
        f"""
def test_disjoint_and_empty():
    assert {fn}([]) == []
    assert {fn}([({s1}, {e1}), ({s3}, {e3})]) == [({s1}, {e1}), ({s3}, {e3})]
""",
        f"""
def test_inverted_window_raises():
    with pytest.raises(ValueError):
        {fn}([({e1}, {s1})])
""",
    ]
    tests = tests_file(f"import pytest\n\nfrom {lay.imp} import {fn}\n", cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_intervals",
            variant=variant,
            category=ctx.pick(("bug_fix", "debugging")),
            difficulty="medium",
            summary=f"Fix merging of {label} ({variant} windows)",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=f"`{fn}` in `{lay.module}` is wrong. {symptom} Can you fix it and add tests?",
            diagnosis=diagnosis,
            plan=plan,
            explanation=(
                f"**Root cause:** {cause}\n\n**Fix:** {change} The new tests cover unsorted "
                "input, contained windows, touching windows, disjoint/empty input and "
                "inverted windows."
            ),
            must_fail=must,
            symbol=fn,
            blurb=f"Scheduling for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- dedupe

_DEDUPE = '''"""De-duplication of imported {{plural}}."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _norm(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def {{fn}}(records: Iterable[dict[str, Any]], key: str = "{{key}}") -> list[dict[str, Any]]:
    """Keep the first record for each `key` value, in input order.

    String keys compare case-insensitively and ignore surrounding whitespace.
    """
    seen: set[Any] = set()
    unique: list[dict[str, Any]] = []
    for record in records:
        value = _norm(record[key])
        if value in seen:
            continue
        seen.add(value)
        unique.append(record)
    return unique
'''

_DEDUPE_LAST = '''"""De-duplication of imported {{plural}}."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _norm(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def {{fn}}(records: Iterable[dict[str, Any]], key: str = "{{key}}") -> list[dict[str, Any]]:
    """Keep the first record for each `key` value, in input order.

    String keys compare case-insensitively and ignore surrounding whitespace.
    """
    by_key = {_norm(record[key]): record for record in records}
    return list(by_key.values())
'''

_DEDUPE_SORTED = '''"""De-duplication of imported {{plural}}."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _norm(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def {{fn}}(records: Iterable[dict[str, Any]], key: str = "{{key}}") -> list[dict[str, Any]]:
    """Keep the first record for each `key` value, in input order.

    String keys compare case-insensitively and ignore surrounding whitespace.
    """
    first: dict[Any, dict[str, Any]] = {}
    for record in records:
        first.setdefault(_norm(record[key]), record)
    return sorted(first.values(), key=lambda record: _norm(record[key]))
'''


def dedupe(ctx: Ctx) -> Draft:
    d = domain(ctx)
    fn = ctx.pick((f"dedupe_{d.plural}", "unique_by", "drop_duplicates", "first_per_key"))
    key = ctx.pick([k for k in ("email", "external_id", "code") if k != d.label_field])
    lay = py_layout(ctx, d.pkg, ctx.pick(("dedupe", "importer", "cleaning")))
    fixed = fill(_DEDUPE, fn=fn, key=key, plural=d.plural)
    variant = ctx.pick(("keeps_last", "sorted_output", "case_sensitive"))
    names = ctx.sample(("ana", "bo", "chen", "dara", "eli", "fatou", "gus", "hana", "ivo"), 4)
    if names[3] < names[1]:  # input order must differ from sorted order
        names[1], names[3] = names[3], names[1]

    def val(i: int) -> str:
        return f"{names[i]}@example.com" if key == "email" else f"{names[i].upper()}-{i + 7}"

    if variant == "keeps_last":
        buggy = fill(_DEDUPE_LAST, fn=fn, key=key, plural=d.plural)
        must = ("test_first_record_wins",)
        symptom = (
            f"when the import file has the same {key} twice we end up with the *later* row, "
            "but the spec says the first one wins (later rows are re-sends with stale data)"
        )
        diagnosis = (
            "The dict comprehension assigns every record to its key, so later duplicates "
            "overwrite earlier ones: the first occurrence's position survives but its data is "
            "replaced by the last occurrence."
        )
        cause = (
            "Building a dict from the rows lets every later duplicate overwrite the one "
            "before it, so the last re-send won instead of the original row."
        )
    elif variant == "sorted_output":
        buggy = fill(_DEDUPE_SORTED, fn=fn, key=key, plural=d.plural)
        must = ("test_input_order_is_kept",)
        symptom = (
            f"the de-duplicated {d.plural} come back sorted by {key} instead of in file "
            "order, which breaks the row numbers in our error report"
        )
        diagnosis = (
            "The first-wins logic via `setdefault` is right, but the result is then sorted by "
            "key, which throws away input order; the docstring promises input order."
        )
        cause = (
            f"After picking the first row per {key}, the function sorted the result by "
            f"{key}, so the file order (and your row numbers) was lost."
        )
    else:
        buggy = swap(fixed, "value = _norm(record[key])", "value = record[key]")
        must = ("test_keys_are_normalised",)
        symptom = (
            f"`{val(0).title()}` and ` {val(0)} ` are treated as two different {d.plural}, "
            "even though the docstring says string keys are case-insensitive"
        )
        diagnosis = (
            "`_norm` exists and the docstring promises case-insensitive matching, but the loop "
            "compares the raw value, so case or whitespace differences create duplicates."
        )
        cause = (
            f"The normalising helper existed but wasn't applied: raw {key} values were "
            "compared, so a different capitalisation or a stray space counted as a new key."
        )
    cases = [
        f"""
def test_first_record_wins():
    rows = [
        {{"{key}": "{val(0)}", "{d.label_field}": "first"}},
        {{"{key}": "{val(1)}", "{d.label_field}": "other"}},
        {{"{key}": "{val(0)}", "{d.label_field}": "second"}},
    ]
    got = {fn}(rows, key="{key}")
    assert [r["{d.label_field}"] for r in got] == ["first", "other"]
""",
        f"""
def test_input_order_is_kept():
    rows = [{{"{key}": v}} for v in ["{val(3)}", "{val(1)}", "{val(2)}", "{val(1)}"]]
    got = {fn}(rows, key="{key}")
    assert [r["{key}"] for r in got] == ["{val(3)}", "{val(1)}", "{val(2)}"]
""",
        f"""
def test_keys_are_normalised():
    rows = [{{"{key}": "{val(0).title()}"}}, {{"{key}": " {val(0)} "}}, {{"{key}": "{val(2)}"}}]
    got = {fn}(rows, key="{key}")
    assert [r["{key}"] for r in got] == ["{val(0).title()}", "{val(2)}"]
""",
        f"""
def test_empty_and_non_string_keys():
    assert {fn}([], key="{key}") == []
    rows = [{{"{key}": 1}}, {{"{key}": 1}}, {{"{key}": 2}}]
    assert {fn}(rows, key="{key}") == [{{"{key}": 1}}, {{"{key}": 2}}]
""",
    ]
    tests = tests_file(f"from {lay.imp} import {fn}\n", cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_dedupe",
            variant=variant,
            category="bug_fix",
            difficulty="easy",
            summary=f"Fix de-duplication of {d.plural} by {key} ({variant.replace('_', ' ')})",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=f"In the {d.plural} importer, {symptom}. The function is `{fn}` in "
            f"`{lay.module}`.",
            diagnosis=diagnosis,
            plan="A single pass with a `seen` set of normalised keys gives first-wins, input "
            "order and case-insensitive matching at once.",
            explanation=(
                f"**Root cause:** {cause}\n\n`{fn}` is now a single pass that records "
                "normalised keys in a `seen` set and appends a record only the first time its "
                "key appears, so the first record wins, input order is preserved, and keys "
                "match regardless of case and surrounding whitespace."
            ),
            must_fail=must,
            symbol=fn,
            blurb=f"Import pipeline for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- batching

_BATCHED = '''"""Batching for bulk uploads of {{plural}}."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def {{fn}}(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield lists of `size` items in order; the last batch may be shorter."""
    if size < 1:
        raise ValueError("size must be >= 1")
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
'''


def batching(ctx: Ctx) -> Draft:
    d = domain(ctx)
    fn = ctx.pick(("batched", "chunked", "in_batches", "chunks"))
    size = ctx.rng.randint(3, 9)
    total = size * ctx.rng.randint(2, 4) + ctx.rng.randint(1, size - 1)
    lay = py_layout(ctx, d.pkg, ctx.pick(("batching", "bulk", "upload")))
    fixed = fill(_BATCHED, fn=fn, plural=d.plural)
    variant = ctx.pick(("drops_tail", "reused_list"))
    if variant == "drops_tail":
        buggy = swap(fixed, "    if batch:\n        yield batch\n", "")
        must = ("test_last_partial_batch_is_kept",)
        user = (
            f"Our nightly export uploads {d.plural} in batches of {size}, and the last "
            f"{total % size} {d.plural} never arrive when there are {total} of them. The "
            f"batching helper is `{fn}` in `{lay.module}`."
        )
        diagnosis = (
            "The generator yields only when a batch is full. After the loop, a partially "
            f"filled batch ({total % size} items here) is silently discarded."
        )
        plan = "Yield the remaining partial batch after the loop when it is non-empty."
        cause = (
            f"Batches were only emitted when full, so the final {total % size} "
            f"{d.plural} (fewer than {size}) were dropped at the end of the input."
        )
        change = f"`{fn}` now yields the leftover partial batch after the loop."
    else:
        buggy = swap(fixed, "            batch = []\n", "            batch.clear()\n")
        must = ("test_batches_are_independent_lists",)
        user = (
            f"Collecting the batches from `{fn}` (in `{lay.module}`) into a list gives nonsense: "
            f"`list({fn}(range({total}), {size}))` shows the same contents repeated, and some "
            "batches come back empty. Streaming them one by one seems to work."
        )
        diagnosis = (
            "After yielding a full batch the code calls `batch.clear()`, which empties the very "
            "list object the caller just received. Consumers that process each batch "
            "immediately don't notice, but anything that keeps a reference (like `list(...)`) "
            "sees every batch mutated afterwards."
        )
        plan = "Start a new list (`batch = []`) after yielding instead of clearing in place."
        cause = (
            "Every batch was the same list object, emptied with `clear()` right after it "
            "was handed out, so any caller that kept the batches saw them change later."
        )
        change = "Each batch is now a fresh list, so batches stay independent."
    expected = [list(range(i, min(i + size, total))) for i in range(0, total, size)]
    cases = [
        f"""
def test_batches_are_independent_lists():
    assert list({fn}(range({total}), {size})) == {expected}
""",
        f"""
def test_last_partial_batch_is_kept():
    batches = list({fn}(["{d.entity}-%d" % i for i in range({total})], {size}))
    assert len(batches) == {len(expected)}
    assert len(batches[-1]) == {total % size}
""",
        f"""
def test_exact_multiple_and_empty():
    got = list({fn}(range({size * 2}), {size}))
    assert got == [list(range({size})), list(range({size}, {size * 2}))]
    assert list({fn}([], {size})) == []
""",
        f"""
def test_size_must_be_positive():
    with pytest.raises(ValueError):
        list({fn}(range(3), 0))
""",
    ]
    tests = tests_file(f"import pytest\n\nfrom {lay.imp} import {fn}\n", cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_batching",
            variant=variant,
            category=ctx.pick(("bug_fix", "debugging")),
            difficulty="easy" if variant == "drops_tail" else "medium",
            summary=f"Fix `{fn}` batching ({variant.replace('_', ' ')})",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=user,
            diagnosis=diagnosis,
            plan=plan,
            explanation=(
                f"**Root cause:** {cause}\n\n**Fix:** {change} Tests cover full and partial "
                "batches, an "
                "exact multiple, empty input, keeping references to batches, and invalid sizes."
            ),
            must_fail=must,
            symbol=fn,
            blurb=f"Bulk upload tooling for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- truncate

_TRUNCATE = '''"""Text helpers for {{what}}."""

from __future__ import annotations


def {{fn}}(text: str, limit: int, suffix: str = "{{suffix}}") -> str:
    """Shorten `text` to at most `limit` characters, ending with `suffix` when cut."""
    if limit < len(suffix):
        raise ValueError("limit is shorter than the suffix")
    if len(text) <= limit:
        return text
    cut = text[: limit - len(suffix)].rstrip()
    return cut + suffix
'''


def truncate(ctx: Ctx) -> Draft:
    d = domain(ctx)
    what = ctx.pick(
        (
            "SMS notifications",
            "push notification previews",
            "table cells",
            "email subject lines",
            "log summaries",
        )
    )
    limit = ctx.pick((20, 24, 32, 40))
    suffix = ctx.pick(("...", "\u2026", " [more]", "~"))
    fn = ctx.pick(("truncate", "shorten", "clip_text", "ellipsize"))
    lay = py_layout(ctx, d.pkg, ctx.pick(("text", "formatting", "notify")))
    fixed = fill(_TRUNCATE, fn=fn, what=what, suffix=suffix)
    words = ["your", d.entity, "was", "updated", "by", "the", d.pkg, "team", "today", "at", "noon"]
    long_text = " ".join(words)
    while len(long_text) <= limit + 5:
        long_text += " again"
    exact = ("x" * (limit - 4)) + " end"
    variant = ctx.pick(("overflow", "exact_limit"))
    if variant == "overflow":
        buggy = swap(
            fixed, "cut = text[: limit - len(suffix)].rstrip()", "cut = text[:limit].rstrip()"
        )
        must = ("test_result_never_exceeds_limit",)
        user = (
            f"{what.capitalize()} are limited to {limit} characters, but `{fn}` in "
            f"`{lay.module}` returns strings of up to {limit + len(suffix)} characters, and the "
            "gateway rejects them. Please fix it."
        )
        diagnosis = (
            f"`{fn}` cuts the text to `limit` characters and *then* appends the suffix, so "
            f"the result is `limit + len(suffix)` long ({limit + len(suffix)} here)."
        )
        plan = "Reserve room for the suffix: cut at `limit - len(suffix)`."
        cause = (
            f"The text was cut to {limit} characters before the suffix was added, so every "
            f"shortened result was {len(suffix)} character(s) over the limit."
        )
        change = "The cut now leaves room for the suffix, so results never exceed `limit`."
    else:
        buggy = swap(fixed, "if len(text) <= limit:", "if len(text) < limit:")
        must = ("test_text_at_limit_is_unchanged",)
        user = (
            f"A {limit}-character message gets an ellipsis even though it fits exactly. "
            f"`{fn}` is in `{lay.module}`; fits-exactly should come back unchanged."
        )
        diagnosis = (
            f"The early return uses `len(text) < limit`, so a text of exactly {limit} "
            "characters falls through to the cutting branch and loses its tail."
        )
        plan = "The boundary must be inclusive: return unchanged when `len(text) <= limit`."
        cause = (
            "The fits-already check was exclusive, so a text exactly as long as the limit "
            "was treated as too long and shortened."
        )
        change = "Texts of exactly `limit` characters are now returned unchanged."
    cases = [
        f"""
def test_result_never_exceeds_limit():
    text = {q(long_text)}
    out = {fn}(text, {limit})
    assert len(out) <= {limit}
    assert out.endswith({q(suffix)})
    for limit in range(len({q(suffix)}), len(text) + 1):
        assert len({fn}(text, limit)) <= limit
""",
        f"""
def test_text_at_limit_is_unchanged():
    text = {q(exact)}
    assert len(text) == {limit}
    assert {fn}(text, {limit}) == text
""",
        f"""
def test_short_text_is_unchanged():
    assert {fn}("ok", {limit}) == "ok"
""",
        f"""
def test_limit_shorter_than_suffix_raises():
    with pytest.raises(ValueError):
        {fn}("anything", len({q(suffix)}) - 1)
""",
    ]
    tests = tests_file(f"import pytest\n\nfrom {lay.imp} import {fn}\n", cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_truncate",
            variant=variant,
            category="bug_fix",
            difficulty="easy",
            summary=f"Fix `{fn}` length limit for {what}",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=user,
            diagnosis=diagnosis,
            plan=plan,
            explanation=f"**Root cause:** {cause}\n\n**Fix:** {change} The tests pin the "
            "length bound, the "
            "exact-fit case, short input, and the too-small limit error.",
            must_fail=must,
            symbol=fn,
            blurb=f"Messaging for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- url building

_URL = '''"""URL helpers for links to {{plural}}."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def {{fn}}(base: str, params: dict[str, object] | None = None) -> str:
    """`base` plus a query string: None values dropped, keys sorted, values encoded."""
    pairs = sorted((k, str(v)) for k, v in (params or {}).items() if v is not None)
    if not pairs:
        return base
    sep = "&" if "?" in base else "?"
    return base + sep + urlencode(pairs, quote_via=quote)
'''


def url_builder(ctx: Ctx) -> Draft:
    d = domain(ctx)
    fn = ctx.pick(("build_url", "with_query", "link_to", "make_url"))
    lay = py_layout(ctx, d.pkg, ctx.pick(("links", "urls", "web_links")))
    fixed = fill(_URL, fn=fn, plural=d.plural)
    host = f"https://{d.pkg}.example.com/{d.plural}"
    term = ctx.pick(("rock & roll", "a=b c", "50% off", "caf\u00e9 bar", "x+y z"))
    variant = ctx.pick(("not_encoded", "double_question_mark"))
    if variant == "not_encoded":
        buggy = swap(
            fixed,
            "return base + sep + urlencode(pairs, quote_via=quote)",
            'return base + sep + "&".join(f"{k}={v}" for k, v in pairs)',
        )
        buggy = swap(buggy, "from urllib.parse import quote, urlencode\n\n\n", "\n")
        must = ("test_values_are_percent_encoded",)
        user = (
            f"Searching {d.plural} for `{term}` from the share link returns garbage: the link "
            f"built by `{fn}` in `{lay.module}` contains the raw text, so the server splits it. "
            "Can you fix the encoding?"
        )
        diagnosis = (
            "The query string is assembled with an f-string join, so `&`, `=`, `%`, `+`, "
            "spaces and non-ASCII characters go out raw; the server parses them as separators "
            "or escapes."
        )
        plan = "Build the query with `urlencode(..., quote_via=quote)` (spaces become %20)."
        cause = (
            f"Values were pasted into the query string as-is, so `{term}` reached the "
            "server unescaped and its special characters were read as syntax."
        )
        change = (
            "The query is built with `urllib.parse.urlencode(..., quote_via=quote)`, which "
            "percent-encodes every value (spaces as `%20`)."
        )
    else:
        buggy = swap(fixed, 'sep = "&" if "?" in base else "?"', 'sep = "?"')
        must = ("test_existing_query_is_extended",)
        user = (
            f"Links like `{host}?view=compact` come out of `{fn}` as `...?view=compact?page=2`. "
            f"The helper is in `{lay.module}`."
        )
        diagnosis = (
            "The separator is always `?`, so a base URL that already has a query string gets "
            "a second `?` and the server reads `compact?page=2` as the value of `view`."
        )
        plan = "Use `&` when the base already contains `?`."
        cause = (
            "The function always started the query with `?`, even when the base URL "
            "already had one."
        )
        change = "Parameters are appended with `&` when the base already has a query."
    expected = quote(term, safe="")
    cases = [
        f"""
def test_values_are_percent_encoded():
    url = {fn}("{host}", {{"q": {q(term)}}})
    assert url == "{host}?q={expected}"
""",
        f"""
def test_none_dropped_and_keys_sorted():
    url = {fn}("{host}", {{"page": 2, "after": None, "limit": 50}})
    assert url == "{host}?limit=50&page=2"
""",
        f"""
def test_existing_query_is_extended():
    assert {fn}("{host}?view=compact", {{"page": 2}}) == "{host}?view=compact&page=2"
""",
        f"""
def test_no_params_returns_base():
    assert {fn}("{host}") == "{host}"
    assert {fn}("{host}", {{"x": None}}) == "{host}"
""",
    ]
    tests = tests_file(f"from {lay.imp} import {fn}\n", cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_url_builder",
            variant=variant,
            category="bug_fix",
            difficulty="easy",
            summary=f"Fix query-string building in `{fn}`",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=user,
            diagnosis=diagnosis,
            plan=plan,
            explanation=f"**Root cause:** {cause}\n\n**Fix:** {change} Covered by tests for "
            "encoding, "
            "dropped `None` values and key order, extending an existing query, and no params.",
            must_fail=must,
            symbol=fn,
            blurb=f"Web front end for {d.plural}.",
        ),
    )


def quote(text: str, safe: str = "") -> str:
    """Percent-encode like `urllib.parse.quote`, for computing expected test values."""
    from urllib.parse import quote as _quote

    return _quote(text, safe=safe)


# --------------------------------------------------------------------------- deep merge

_MERGE = '''"""Layered configuration: defaults, then environment overrides."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def {{fn}}(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Recursively merge `override` into a copy of `base`; inputs are not modified.

    Nested mappings merge key by key; any other value (lists included) replaces.
    """
    merged: dict[str, Any] = {key: copy.deepcopy(value) for key, value in base.items()}
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            merged[key] = {{fn}}(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
'''

_MERGE_SHALLOW = '''"""Layered configuration: defaults, then environment overrides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def {{fn}}(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `override` into a copy of `base`; inputs are not modified."""
    merged = dict(base)
    merged.update(override)
    return merged
'''

_MERGE_MUTATES = '''"""Layered configuration: defaults, then environment overrides."""

from __future__ import annotations

from typing import Any


def {{fn}}(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Recursively merge `override` into `base`."""
    for key, value in override.items():
        if isinstance(base.get(key), dict) and isinstance(value, dict):
            {{fn}}(base[key], value)
        else:
            base[key] = value
    return base
'''


def deep_merge(ctx: Ctx) -> Draft:
    d = domain(ctx)
    fn = ctx.pick(("merge_config", "deep_merge", "layer_settings", "merge_settings"))
    lay = py_layout(ctx, d.pkg, ctx.pick(("config", "settings", "conf")))
    fixed = fill(_MERGE, fn=fn)
    port = ctx.pick((5432, 3306, 6379, 27017))
    host = ctx.pick(("db.internal", "postgres", "10.0.3.12", "primary.db"))
    env = ctx.pick(("staging", "prod", "qa"))
    variant = ctx.pick(("shallow", "mutates_defaults"))
    if variant == "shallow":
        buggy = fill(_MERGE_SHALLOW, fn=fn)
        must = ("test_nested_keys_are_merged",)
        user = (
            f"In {env}, we override only `database.host`, and now the service crashes "
            f"because `database.port` is missing. Defaults define both. The merge is `{fn}` in "
            f"`{lay.module}`."
        )
        diagnosis = (
            "`dict.update` is shallow: the override's whole `database` dict replaces the "
            "default one, so every nested key the override doesn't repeat (like `port`) is "
            "lost."
        )
        plan = "Recurse into nested mappings and deep-copy leaves so inputs stay untouched."
        cause = (
            "The merge was one level deep: an override containing `database` replaced the "
            "whole default `database` section, dropping keys it didn't repeat."
        )
    else:
        buggy = fill(_MERGE_MUTATES, fn=fn)
        must = ("test_inputs_are_not_modified",)
        user = (
            f"After loading the {env} config once, the *defaults* themselves contain the {env} "
            f"database host, so tests that build a second config get {env} values. `{fn}` in "
            f"`{lay.module}` is the suspect."
        )
        diagnosis = (
            "The recursion writes straight into `base`, so merging an override modifies the "
            "module-level defaults. Every later merge starts from polluted defaults."
        )
        plan = "Merge into a deep copy of `base` and never assign into the inputs."
        cause = (
            "The recursive merge wrote into the defaults object itself, so the first "
            "environment's overrides leaked into every configuration built afterwards."
        )
    cases = [
        f"""
DEFAULTS = {{
    "database": {{"host": "localhost", "port": {port}}},
    "features": ["a"],
    "debug": False,
}}
""",
        f"""
def test_nested_keys_are_merged():
    got = {fn}(DEFAULTS, {{"database": {{"host": "{host}"}}}})
    assert got["database"] == {{"host": "{host}", "port": {port}}}
""",
        f"""
def test_inputs_are_not_modified():
    override = {{"database": {{"host": "{host}"}}, "debug": True}}
    {fn}(DEFAULTS, override)
    assert DEFAULTS["database"]["host"] == "localhost"
    assert DEFAULTS["debug"] is False
    assert override == {{"database": {{"host": "{host}"}}, "debug": True}}
""",
        f"""
def test_lists_and_scalars_replace():
    got = {fn}(DEFAULTS, {{"features": ["b"], "debug": True}})
    assert got["features"] == ["b"]
    assert got["debug"] is True
""",
    ]
    header = f"from {lay.imp} import {fn}\n"
    body = "\n\n".join(c.strip("\n") for c in cases[:1])
    tests = tests_file(header + "\n" + body + "\n", cases[1:])
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_deep_merge",
            variant=variant,
            category=ctx.pick(("bug_fix", "debugging")),
            difficulty="medium",
            summary=f"Fix configuration merging ({variant.replace('_', ' ')})",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=user,
            diagnosis=diagnosis,
            plan=plan,
            explanation=f"**Root cause:** {cause}\n\n**Fix:** `{fn}` now builds a deep copy "
            "of the defaults and merges nested sections key by key, never touching its "
            "inputs. Tests cover nested merging, inputs "
            "staying unmodified, and lists/scalars replacing rather than merging.",
            must_fail=must,
            symbol=fn,
            blurb=f"Configuration for the {d.pkg} service.",
        ),
    )


FAMILIES = [
    Family("py_pagination", "python", 1, pagination),
    Family("py_mutable_default", "python", 1, mutable_default),
    Family("py_semver", "python", 1, semver),
    Family("py_intervals", "python", 1, intervals),
    Family("py_dedupe", "python", 1, dedupe),
    Family("py_batching", "python", 1, batching),
    Family("py_truncate", "python", 1, truncate),
    Family("py_url_builder", "python", 1, url_builder),
    Family("py_deep_merge", "python", 1, deep_merge),
]
