"""Python families beyond plain fixes: refactoring, debugging from a traceback, code review,
writing tests for existing code, state machines, and explaining code."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from fabricator.convo import Ctx, Draft
from fabricator.families import Family
from fabricator.families._common import fill, q, swap, tests_file
from fabricator.flows import (
    ExplainTask,
    PyTask,
    PyTestsTask,
    explain_flow,
    py_layout,
    py_project_files,
    python_fix_flow,
    python_tests_flow,
)
from fabricator.vocab import Domain, domain, repo_name

# --------------------------------------------------------------------------- refactor

_REFAC_BEFORE = '''"""Creation, update and CSV import of {{plural}}."""

from __future__ import annotations

from typing import Any


def create_{{entity}}(data: dict[str, Any]) -> dict[str, Any]:
    if "{{f1}}" not in data or data["{{f1}}"] in (None, ""):
        raise ValueError("{{f1}} is required")
    if "{{f2}}" not in data or data["{{f2}}"] in (None, ""):
        raise ValueError("missing {{f2}}")
    return {"{{f1}}": data["{{f1}}"], "{{f2}}": data["{{f2}}"], "status": "new"}


def update_{{entity}}(current: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    if "{{f1}}" in data and data["{{f1}}"] in (None, ""):
        raise ValueError("{{f1}} cannot be empty")
    if "{{f2}}" in data and not data["{{f2}}"]:
        raise ValueError("{{f2}} cannot be empty")
    return {**current, **data}


def import_{{entity}}(row: dict[str, str]) -> dict[str, Any]:
    for field in ("{{f1}}", "{{f2}}", "{{f3}}"):
        if not row.get(field):
            raise ValueError(field + " missing")
    fields = ("{{f1}}", "{{f2}}", "{{f3}}")
    return {**{field: row[field] for field in fields}, "status": "imported"}
'''

_REFAC_AFTER = '''"""Creation, update and CSV import of {{plural}}."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

REQUIRED = ("{{f1}}", "{{f2}}")


class MissingFieldError(ValueError):
    """Required fields are absent or blank; `fields` lists them in the order checked."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__("missing required field(s): " + ", ".join(fields))
        self.fields = fields


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_required(data: Mapping[str, Any], fields: Sequence[str]) -> None:
    """Raise MissingFieldError naming every field in `fields` that is absent or blank."""
    missing = [field for field in fields if _blank(data.get(field))]
    if missing:
        raise MissingFieldError(missing)


def create_{{entity}}(data: dict[str, Any]) -> dict[str, Any]:
    validate_required(data, REQUIRED)
    return {"{{f1}}": data["{{f1}}"], "{{f2}}": data["{{f2}}"], "status": "new"}


def update_{{entity}}(current: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    validate_required(data, [field for field in REQUIRED if field in data])
    return {**current, **data}


def import_{{entity}}(row: dict[str, str]) -> dict[str, Any]:
    validate_required(row, (*REQUIRED, "{{f3}}"))
    fields = ("{{f1}}", "{{f2}}", "{{f3}}")
    return {**{field: row[field] for field in fields}, "status": "imported"}
'''


def refactor_validation(ctx: Ctx) -> Draft:
    d = domain(ctx)
    f1, f2, f3 = d.label_field, d.owner_field, d.amount_field
    lay = py_layout(ctx, d.pkg, ctx.pick((f"{d.plural}_service", "records", "commands")))
    v = dict(entity=d.entity, plural=d.plural, f1=f1, f2=f2, f3=f3)
    before, after = fill(_REFAC_BEFORE, **v), fill(_REFAC_AFTER, **v)
    e = d.entity
    val1, val2, val3 = f"{e}-{ctx.rng.randint(10, 99)}", f"u{ctx.rng.randint(100, 999)}", "42"
    cases = [
        f"""
def test_validate_required_lists_every_missing_field():
    with pytest.raises(MissingFieldError) as info:
        validate_required({{"{f1}": "  ", "other": 1}}, ["{f1}", "{f2}", "{f3}"])
    assert info.value.fields == ["{f1}", "{f2}", "{f3}"]
    assert isinstance(info.value, ValueError)
""",
        f"""
def test_create_reports_all_missing_fields():
    with pytest.raises(MissingFieldError) as info:
        create_{e}({{}})
    assert info.value.fields == ["{f1}", "{f2}"]
""",
        f"""
def test_create_and_import_happy_path():
    assert create_{e}({{"{f1}": "{val1}", "{f2}": "{val2}"}})["status"] == "new"
    row = {{"{f1}": "{val1}", "{f2}": "{val2}", "{f3}": "{val3}"}}
    assert import_{e}(row)["status"] == "imported"
""",
        f"""
def test_update_checks_only_present_fields():
    current = {{"{f1}": "{val1}", "{f2}": "{val2}"}}
    assert update_{e}(current, {{"{f2}": "{val2}x"}})["{f2}"] == "{val2}x"
    with pytest.raises(MissingFieldError) as info:
        update_{e}(current, {{"{f1}": ""}})
    assert info.value.fields == ["{f1}"]
""",
        f"""
def test_import_requires_{f3}():
    with pytest.raises(MissingFieldError) as info:
        import_{e}({{"{f1}": "{val1}", "{f2}": "{val2}"}})
    assert info.value.fields == ["{f3}"]
""",
    ]
    header = (
        f"import pytest\n\nfrom {lay.imp} import (\n    MissingFieldError,\n    create_{e},\n"
        f"    import_{e},\n    update_{e},\n    validate_required,\n)\n"
    )
    tests = tests_file(header, cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_refactor_validation",
            variant="extract_helper",
            category="refactor",
            difficulty="medium",
            summary=f"Extract a shared required-field validator for {d.plural}",
            repo=repo_name(ctx, d),
            layout=lay,
            before=before,
            after=after,
            tests=tests,
            user=(
                f"`{lay.module}` validates required fields three different ways, with three "
                "different error messages, and clients can only see the first missing field. "
                "Please refactor: one `validate_required(data, fields)` helper that raises a "
                "`MissingFieldError` (a `ValueError` subclass, so existing `except ValueError` "
                "keeps working) listing *all* missing fields in order, used by create, update "
                "and import. Whitespace-only values should count as missing. Otherwise keep "
                "behaviour the same."
            ),
            diagnosis=(
                f"Three copies of the same check: `create_{e}` tests membership and "
                f"`(None, '')`, `update_{e}` mixes that with truthiness, and `import_{e}` uses "
                "`row.get`. Each raises on the first problem with its own wording; none treats "
                "whitespace-only as blank."
            ),
            plan=(
                "Introduce `MissingFieldError(ValueError)` with a `fields` list and a "
                "`validate_required` that collects every blank field; route the three entry "
                "points through it. `update` validates only the fields present in the payload."
            ),
            explanation=(
                f"Refactored `{lay.module}`:\n\n- `validate_required(data, fields)` collects "
                "every absent or blank (including whitespace-only) field and raises "
                "`MissingFieldError`, whose `fields` attribute lists them in order.\n- "
                "`MissingFieldError` subclasses `ValueError`, so existing handlers still catch "
                f"it.\n- `create_{e}`, `update_{e}` (present fields only) and `import_{e}` all "
                "use it; return values are unchanged.\n\nThe one intended behaviour change: "
                "error messages are now uniform and list all missing fields."
            ),
            must_fail=(),
            symbol=f"create_{e}",
            blurb=f"Domain services for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- config debugging

_CFG_BUGGY = '''"""Settings for the {{service}} worker, read from environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "{{prefix}}_"


@dataclass(frozen=True)
class Settings:
    database_url: str
    timeout_s: int = 30
    workers: int = 4
    debug: bool = False


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build Settings from `env`; only the database URL is required."""
    return Settings(
        database_url=env[PREFIX + "DATABASE_URL"],
        timeout_s=int(env[PREFIX + "TIMEOUT"]),
        workers=int(env.get(PREFIX + "WORKERS", 4)),
        debug=bool(env.get(PREFIX + "DEBUG", False)),
    )
'''

_CFG_FIXED = '''"""Settings for the {{service}} worker, read from environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "{{prefix}}_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    timeout_s: int = 30
    workers: int = 4
    debug: bool = False


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name} must be an integer, got {raw!r}") from None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(PREFIX + name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{PREFIX}{name} must be a boolean (true/false), got {raw!r}")


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build Settings from `env`; only the database URL is required."""
    url = env.get(PREFIX + "DATABASE_URL", "").strip()
    if not url:
        raise ConfigError(f"{PREFIX}DATABASE_URL is required")
    return Settings(
        database_url=url,
        timeout_s=_int(env, "TIMEOUT", 30),
        workers=_int(env, "WORKERS", 4),
        debug=_bool(env, "DEBUG", False),
    )
'''


def config_debugging(ctx: Ctx) -> Draft:
    d = domain(ctx)
    prefix = d.pkg.upper()
    service = f"{d.pkg}-{ctx.pick(('worker', 'sync', 'scheduler'))}"
    lay = py_layout(ctx, d.pkg, ctx.pick(("settings", "config", "env_config")))
    v = dict(service=service, prefix=prefix)
    buggy, fixed = fill(_CFG_BUGGY, **v), fill(_CFG_FIXED, **v)
    partial = swap(
        buggy,
        'timeout_s=int(env[PREFIX + "TIMEOUT"]),',
        'timeout_s=int(env.get(PREFIX + "TIMEOUT", 30)),',
    )
    line = buggy.splitlines().index('        timeout_s=int(env[PREFIX + "TIMEOUT"]),') + 1
    url = ctx.pick(
        (f"postgresql://{d.pkg}@db/{d.pkg}", "sqlite:///local.db", f"mysql://app@mysql/{d.pkg}")
    )
    p = prefix + "_"
    traceback = (
        "Traceback (most recent call last):\n"
        f'  File "/srv/{service}/main.py", line 14, in <module>\n'
        "    settings = load_settings(os.environ)\n"
        "               ^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        f'  File "/srv/{service}/{lay.module}", line {line}, in load_settings\n'
        '    timeout_s=int(env[PREFIX + "TIMEOUT"]),\n'
        "                  ~~~^^^^^^^^^^^^^^^^^^^\n"
        f"KeyError: '{p}TIMEOUT'"
    )
    cases = [
        f"""
def test_optional_settings_have_defaults():
    assert load_settings({{"{p}DATABASE_URL": "{url}"}}) == Settings("{url}", 30, 4, False)
""",
        f"""
@pytest.mark.parametrize(("raw", "expected"), [("false", False), ("0", False), ("TRUE", True)])
def test_debug_flag_parsing(raw, expected):
    env = {{"{p}DATABASE_URL": "{url}", "{p}DEBUG": raw}}
    assert load_settings(env).debug is expected
""",
        f"""
def test_missing_database_url_is_a_clear_error():
    with pytest.raises(ValueError, match="{p}DATABASE_URL"):
        load_settings({{"{p}TIMEOUT": "10"}})
""",
        f"""
def test_bad_integer_names_the_variable():
    env = {{"{p}DATABASE_URL": "{url}", "{p}TIMEOUT": "soon"}}
    with pytest.raises(ValueError, match="{p}TIMEOUT"):
        load_settings(env)
""",
        f"""
def test_full_configuration():
    env = {{
        "{p}DATABASE_URL": "{url}",
        "{p}TIMEOUT": "5",
        "{p}WORKERS": "8",
        "{p}DEBUG": "yes",
    }}
    assert load_settings(env) == Settings("{url}", 5, 8, True)
""",
    ]
    tests = tests_file(f"import pytest\n\nfrom {lay.imp} import Settings, load_settings\n", cases)
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_config_debugging",
            variant="keyerror_and_bool",
            category="debugging",
            difficulty="medium",
            summary=f"Fix {service} crashing on missing optional settings",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=(
                f"The {service} container crash-loops after we removed `{p}TIMEOUT` from the "
                "deployment (it's supposed to be optional, default 30):\n\n```\n"
                f"{traceback}\n```\n\nAlso, is `{p}DEBUG=false` actually honoured? Logs look "
                "suspiciously verbose."
            ),
            diagnosis=(
                f"Line {line} indexes `env[...]` for TIMEOUT, so an absent optional variable "
                "raises KeyError. And the DEBUG suspicion is right: `bool('false')` is True "
                "(any non-empty string is truthy), so DEBUG=false enables debug. A missing "
                "DATABASE_URL would also surface as a bare KeyError instead of a readable "
                "message."
            ),
            plan=(
                "Read optional values with defaults, parse booleans explicitly, and raise a "
                "`ConfigError(ValueError)` that names the variable for missing or malformed "
                "values."
            ),
            explanation=(
                f"Two bugs in `{lay.module}`:\n\n1. **Crash:** `TIMEOUT` was read with "
                "`env[...]`, so removing the optional variable raised `KeyError`. Optional "
                "integers now fall back to their defaults.\n2. **DEBUG=false enabled debug:** "
                "`bool('false')` is `True`. Booleans are now parsed from an explicit "
                "true/false vocabulary.\n\nMissing or malformed values raise `ConfigError` (a "
                "`ValueError`) naming the variable, e.g. "
                f"`{p}TIMEOUT must be an integer, got 'soon'`."
            ),
            must_fail=("test_optional_settings_have_defaults",),
            partial=partial,
            partial_fail=("test_debug_flag_parsing", "test_missing_database_url_is_a_clear_error"),
            partial_note=(
                "The KeyError is gone, but `DEBUG=false` still turns debug on because "
                "`bool('false')` is True, and a missing DATABASE_URL is still a bare KeyError. "
                "Those need explicit parsing and a readable error."
            ),
            symbol="load_settings",
            fail_note="Same KeyError as in production.",
            blurb=f"The {service} service.",
        ),
    )


# --------------------------------------------------------------------------- code review

_DISCOUNT_PR = '''"""Price calculations for {{plural}}."""

from __future__ import annotations


def {{fn}}(price: float, percent: float) -> float:
    """Price after a percentage discount, rounded to cents."""
    return round(price - price * percent / 100, 2)
'''

_DISCOUNT = '''"""Price calculations for {{plural}}."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def {{fn}}(price: Decimal, percent: Decimal) -> Decimal:
    """Price after a percentage discount, rounded half-up to cents.

    Money is Decimal end to end; `percent` must be within 0..100.
    """
    if not Decimal(0) <= percent <= Decimal(100):
        raise ValueError(f"percent must be between 0 and 100, got {percent}")
    discounted = price * (Decimal(100) - percent) / Decimal(100)
    return discounted.quantize(CENT, rounding=ROUND_HALF_UP)
'''


def code_review(ctx: Ctx) -> Draft:
    d = domain(ctx)
    fn = ctx.pick(("apply_discount", "discounted_price", "price_after_discount"))
    lay = py_layout(ctx, d.pkg, ctx.pick(("pricing", "discounts", "checkout_math")))
    v = dict(fn=fn, plural=d.plural)
    pr, fixed = fill(_DISCOUNT_PR, **v), fill(_DISCOUNT, **v)
    price = Decimal(ctx.pick(("19.99", "49.95", "8.49", "129.00", "3.35")))
    pct = Decimal(ctx.pick(("15", "12.5", "33", "7")))
    expected = (price * (100 - pct) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    tests_before = tests_file(
        f"from {lay.imp} import {fn}\n",
        [f"def test_ten_percent_off():\n    assert {fn}(100.0, 10) == 90.0\n"],
    )
    cases = [
        f"""
def test_rounds_half_up_to_cents():
    assert {fn}(Decimal("1.45"), Decimal("50")) == Decimal("0.73")
""",
        f"""
def test_typical_discount():
    assert {fn}(Decimal("{price}"), Decimal("{pct}")) == Decimal("{expected}")
""",
        f"""
@pytest.mark.parametrize("percent", ["-5", "100.01", "150"])
def test_percent_out_of_range(percent):
    with pytest.raises(ValueError):
        {fn}(Decimal("10.00"), Decimal(percent))
""",
        f"""
def test_zero_and_full_discount():
    assert {fn}(Decimal("10.00"), Decimal("0")) == Decimal("10.00")
    assert {fn}(Decimal("10.00"), Decimal("100")) == Decimal("0.00")
""",
    ]
    tests = tests_file(
        f"from decimal import Decimal\n\nimport pytest\n\nfrom {lay.imp} import {fn}\n", cases
    )
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_code_review",
            variant="money_float",
            category="code_review",
            difficulty="medium",
            summary=f"Review `{fn}`: float money, rounding mode, missing bounds",
            repo=repo_name(ctx, d),
            layout=lay,
            before=pr,
            after=fixed,
            tests=tests,
            tests_before=tests_before,
            user=(
                f"Can you review the new `{fn}` in `{lay.module}` before I merge the {d.plural} "
                "discounts PR? It has a test and CI is green. If you find blocking problems, "
                "please fix them in the branch and explain."
            ),
            diagnosis=(
                "Review notes so far: (1) money is `float`, so prices like 1.45 aren't exact "
                "and results drift; (2) `round()` uses banker's rounding (half-to-even), but "
                "invoices need half-up: 1.45 at 50% is 0.725 and should become 0.73; (3) no "
                "bounds on `percent`, so 150% yields a negative price. The existing test only "
                "checks an exact case that hides all three."
            ),
            plan=(
                "Switch to `Decimal` for inputs and output, validate 0 <= percent <= 100, and "
                "quantize to cents with `ROUND_HALF_UP`. Replace the float test with Decimal "
                "tests for rounding, bounds and edge cases."
            ),
            explanation=(
                f"**Review of `{fn}`** - requesting changes, fixed in the branch:\n\n1. "
                "**Money as float (blocking):** binary floats can't represent most cents; "
                "switched to `Decimal` for inputs and output.\n2. **Rounding mode "
                "(blocking):** `round()` rounds half to even, so 0.725 became 0.72. Now "
                "`quantize(Decimal('0.01'), ROUND_HALF_UP)`.\n3. **No validation "
                "(blocking):** a percent over 100 produced negative prices; now `ValueError` "
                "outside 0..100.\n4. **Tests (minor):** the single `100.0, 10` case was exact "
                "in binary and hid the issues; replaced with rounding, bounds and edge-case "
                "tests.\n\nCallers must now pass `Decimal` values."
            ),
            must_fail=("test_rounds_half_up_to_cents", "test_percent_out_of_range"),
            symbol=fn,
            blurb=f"Checkout for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- state machine

_WORKFLOWS = {
    "order": (
        [
            ("pending", "pay", "paid"),
            ("paid", "ship", "shipped"),
            ("shipped", "deliver", "delivered"),
            ("pending", "cancel", "cancelled"),
            ("paid", "cancel", "cancelled"),
        ],
        ("shipped", "cancel"),
    ),
    "ticket": (
        [
            ("open", "start", "in_progress"),
            ("in_progress", "resolve", "resolved"),
            ("resolved", "close", "closed"),
            ("resolved", "reopen", "in_progress"),
            ("open", "close", "closed"),
        ],
        ("closed", "reopen"),
    ),
    "loan": (
        [
            ("requested", "approve", "active"),
            ("requested", "reject", "rejected"),
            ("active", "return", "returned"),
            ("active", "mark_lost", "lost"),
            ("lost", "return", "returned"),
        ],
        ("returned", "mark_lost"),
    ),
}

_SM = '''"""Status workflow for {{plural}}."""

from __future__ import annotations

TRANSITIONS: dict[tuple[str, str], str] = {
{{table}}
}


class InvalidTransition(ValueError):
    """`event` is not allowed while in `status`."""

    def __init__(self, status: str, event: str) -> None:
        super().__init__(f"cannot {event} a {{entity}} that is {status}")
        self.status = status
        self.event = event


def advance(status: str, event: str) -> str:
    """The status after `event`, or InvalidTransition if the table does not allow it."""
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidTransition(status, event) from None


def allowed_events(status: str) -> list[str]:
    """Events valid in `status`, sorted (the UI shows one button each)."""
    return sorted(event for (src, event) in TRANSITIONS if src == status)
'''

_SM_BUGGY_OLD = """    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidTransition(status, event) from None
"""

_SM_BUGGY_NEW = """    for (_src, ev), target in TRANSITIONS.items():
        if ev == event:
            return target
    raise InvalidTransition(status, event)
"""


def state_machine(ctx: Ctx) -> Draft:
    d = domain(ctx)
    kind = ctx.pick(tuple(_WORKFLOWS))
    edges, (bad_status, bad_event) = _WORKFLOWS[kind]
    entity = d.entity if kind == "order" else kind
    lay = py_layout(ctx, d.pkg, ctx.pick(("workflow", "status", "lifecycle")))
    table = "\n".join(f'    ("{s}", "{e}"): "{t}",' for s, e, t in edges)
    fixed = fill(_SM, table=table, plural=d.plural, entity=entity)
    buggy = swap(fixed, _SM_BUGGY_OLD, _SM_BUGGY_NEW)
    path, state = [], edges[0][0]
    for s, e, t in edges:
        if s == state and t not in [p[0] for p in path]:
            path.append((e, t))
            state = t
    start = edges[0][0]
    steps = "\n".join(
        f'    status = advance(status, "{e}")\n    assert status == "{t}"' for e, t in path
    )
    events_of_start = sorted(e for s, e, _ in edges if s == start)
    cases = [
        f"""
def test_happy_path():
    status = "{start}"
{steps}
""",
        f"""
def test_disallowed_event_raises():
    with pytest.raises(InvalidTransition) as info:
        advance("{bad_status}", "{bad_event}")
    assert info.value.status == "{bad_status}"
    assert "{bad_event}" in str(info.value)
""",
        f"""
def test_unknown_event_raises():
    with pytest.raises(ValueError):
        advance("{start}", "teleport")
""",
        f"""
def test_allowed_events():
    assert allowed_events("{start}") == {events_of_start!r}
    assert allowed_events("nonexistent") == []
""",
    ]
    tests = tests_file(
        f"import pytest\n\nfrom {lay.imp} import InvalidTransition, advance, allowed_events\n",
        cases,
    )
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_state_machine",
            variant=kind,
            category="bug_fix",
            difficulty="medium",
            summary=f"Enforce the {entity} status transition table in `advance`",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests,
            user=(
                f"Through the API you can `{bad_event}` a {entity} that is already "
                f"`{bad_status}`, which should be impossible according to the transition "
                f"table in `{lay.module}`. Please make `advance` respect the table and raise "
                "`InvalidTransition` otherwise."
            ),
            diagnosis=(
                "`advance` loops over the table and returns the target of the first entry "
                "whose *event* matches, ignoring the source status entirely. Any event that "
                "exists anywhere in the table is accepted from any status."
            ),
            plan="Look the transition up by the `(status, event)` pair; a miss raises.",
            explanation=(
                "`advance` matched on the event alone, so the current status was never "
                f"checked and `{bad_event}` worked from `{bad_status}`. It now looks up the "
                "`(status, event)` pair in `TRANSITIONS` and raises `InvalidTransition` (a "
                "`ValueError`, carrying `status` and `event`) when the pair is not allowed."
            ),
            must_fail=("test_disallowed_event_raises",),
            symbol="advance",
            blurb=f"Lifecycle rules for {d.plural}.",
        ),
    )


# --------------------------------------------------------------------------- writing tests

_SPLIT = '''"""Splitting of {{what}} between participants."""

from __future__ import annotations


def {{fn}}(total_cents: int, parts: int) -> list[int]:
    """Split `total_cents` into `parts` integer shares differing by at most one cent.

    Earlier shares receive the leftover cents, so the shares always sum to the total.
    """
    if parts < 1:
        raise ValueError("parts must be >= 1")
    if total_cents < 0:
        raise ValueError("total_cents must be >= 0")
    base, extra = divmod(total_cents, parts)
    return [base + 1 if i < extra else base for i in range(parts)]
'''

_LUHN = '''"""Card number checks for {{what}}."""

from __future__ import annotations


def {{fn}}(number: str) -> bool:
    """Luhn checksum; spaces and dashes are ignored, anything else non-digit is invalid."""
    digits = number.replace(" ", "").replace("-", "")
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        digit = int(ch)
        if i % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0
'''

_PHONE = '''"""Phone number normalisation for {{what}}."""

from __future__ import annotations


def {{fn}}(raw: str, country_code: str = "{{cc}}") -> str:
    """E.164 form ('+' and digits).

    A leading '+' or '00' means the number is already international; otherwise a single
    leading '0' is a trunk prefix and `country_code` is prepended.
    """
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.strip().startswith("+"):
        result = "+" + digits
    elif digits.startswith("00"):
        result = "+" + digits[2:]
    elif digits.startswith("0"):
        result = "+" + country_code + digits[1:]
    else:
        result = "+" + country_code + digits
    if not 8 <= len(result) - 1 <= 15:
        raise ValueError(f"not a phone number: {raw!r}")
    return result
'''


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body + "0")):
        digit = int(ch)
        if i % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def write_tests(ctx: Ctx) -> Draft:
    d = domain(ctx)
    kind = ctx.pick(("split", "luhn", "phone"))
    wrong = wrong_fail = wrong_note = None
    if kind == "split":
        what = ctx.pick(("shared bills", "group bookings", "split payments"))
        fn = ctx.pick(("split_amount", "split_cents", "allocate"))
        lay = py_layout(ctx, d.pkg, ctx.pick(("splitting", "allocation")))
        code = fill(_SPLIT, fn=fn, what=what)
        mutant = swap(
            code,
            "return [base + 1 if i < extra else base for i in range(parts)]",
            ctx.pick(
                (
                    "return [base for _ in range(parts)]",
                    "return [base + 1 if i >= parts - extra else base for i in range(parts)]",
                )
            ),
        )
        t, p = ctx.rng.randint(101, 9999), ctx.rng.randint(3, 9)
        base, extra = divmod(t, p)
        exp = [base + 1 if i < extra else base for i in range(p)]
        good = f"""
@pytest.mark.parametrize(("total", "parts"), [(1000, 3), (1, 4), (0, 2), (999, 7), ({t}, {p})])
def test_shares_sum_to_total_and_differ_by_at_most_one(total, parts):
    shares = {fn}(total, parts)
    assert len(shares) == parts
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1


def test_leftover_cents_go_to_the_first_shares():
    assert {fn}(1000, 3) == [334, 333, 333]
    assert {fn}({t}, {p}) == {exp!r}


@pytest.mark.parametrize(("total", "parts"), [(100, 0), (-1, 2)])
def test_invalid_arguments(total, parts):
    with pytest.raises(ValueError):
        {fn}(total, parts)
"""
        wrong_case = f"assert {fn}(1000, 3) == [333, 333, 334]"
        wrong = good.replace(f"assert {fn}(1000, 3) == [334, 333, 333]", wrong_case)
        wrong_fail = ("test_leftover_cents_go_to_the_first_shares",)
        wrong_note = (
            "My expectation was wrong, not the code: I assumed the leftover cent goes to the "
            "last share, but the docstring says earlier shares receive it, and the output "
            "`[334, 333, 333]` matches the documented contract. Fixing the test."
        )
        notes = (
            f"`{fn}` uses `divmod` and hands the remainder to the first `extra` shares. "
            "Properties worth pinning: length, exact sum, max-min <= 1, *which* shares get the "
            "extra cents, and the two validation errors."
        )
        sym = fn
    elif kind == "luhn":
        what = ctx.pick(("checkout forms", "stored payment methods", "the card vault"))
        fn = ctx.pick(("luhn_valid", "is_valid_card", "checksum_ok"))
        lay = py_layout(ctx, d.pkg, ctx.pick(("cards", "payment_checks")))
        code = fill(_LUHN, fn=fn, what=what)
        mutant = swap(
            code, "if i % 2 == 1:", ctx.pick(("if i % 2 == 0:", "if i % 2 == 1 and i > 1:"))
        )
        bodies = ["".join(str(ctx.rng.randint(0, 9)) for _ in range(15)) for _ in range(3)]
        valid = [b + _luhn_digit(b) for b in bodies]
        fmt = f"{valid[0][:4]} {valid[0][4:8]} {valid[0][8:12]} {valid[0][12:]}"
        broken = valid[1][:-1] + str((int(valid[1][-1]) + 1) % 10)
        good = f"""
@pytest.mark.parametrize("number", ["79927398713", {q(fmt)}, {q(valid[1])}, {q(valid[2])}])
def test_valid_numbers(number):
    assert {fn}(number) is True


@pytest.mark.parametrize("number", ["79927398710", {q(broken)}, "", "0", "4111-1111-1111-111a"])
def test_invalid_numbers(number):
    assert {fn}(number) is False


def test_separators_are_ignored():
    assert {fn}("7992-7398-713") is True
"""
        notes = (
            f"`{fn}` doubles every second digit from the right and subtracts 9 from "
            "two-digit products. Good tests: known-valid numbers (the classic 79927398713 plus "
            "generated ones with a correct check digit), a single changed digit, separators, "
            "and non-digit or too-short input."
        )
        sym = fn
    else:
        cc = ctx.pick(("44", "49", "33", "31", "61"))
        what = ctx.pick(("customer contacts", "SMS delivery", "the address book"))
        fn = ctx.pick(("normalize_phone", "to_e164", "clean_phone_number"))
        lay = py_layout(ctx, d.pkg, ctx.pick(("phones", "contact_utils")))
        code = fill(_PHONE, fn=fn, what=what, cc=cc)
        mutant = ctx.pick(
            (
                swap(code, 'result = "+" + digits[2:]', 'result = "+" + digits'),
                swap(
                    code,
                    'result = "+" + country_code + digits[1:]',
                    'result = "+" + country_code + digits',
                ),
            )
        )
        local = str(ctx.rng.randint(1, 9)) + "".join(str(ctx.rng.randint(0, 9)) for _ in range(8))
        spaced = f"0{local[:3]} {local[3:6]} {local[6:]}"
        good = f"""
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({q(spaced)}, "+{cc}{local}"),
        ("+{cc} {local[:3]} {local[3:]}", "+{cc}{local}"),
        ("00{cc}{local}", "+{cc}{local}"),
        ("{local}", "+{cc}{local}"),
        ("(0{local[:3]}) {local[3:6]}-{local[6:]}", "+{cc}{local}"),
    ],
)
def test_normalises_to_e164(raw, expected):
    assert {fn}(raw) == expected


def test_other_country_code():
    assert {fn}("0{local}", country_code="1") == "+1{local}"


@pytest.mark.parametrize("raw", ["12345", "", "+{cc}12345678901234567"])
def test_rejects_implausible_lengths(raw):
    with pytest.raises(ValueError):
        {fn}(raw)
"""
        wrong = good.replace(
            '@pytest.mark.parametrize("raw", ["12345", "", "+',
            '@pytest.mark.parametrize("raw", ["", "+',
        ).replace(
            "def test_other_country_code():",
            f'def test_short_local_number():\n    assert {fn}("12345") == "+{cc}12345"\n\n\n'
            "def test_other_country_code():",
        )
        wrong_fail = ("test_short_local_number",)
        wrong_note = (
            "I expected short numbers to pass through, but the function deliberately rejects "
            "anything outside 8-15 digits (E.164 bounds) - that's documented behaviour, so "
            "the test should assert the ValueError instead."
        )
        notes = (
            f"`{fn}` has four branches (`+`, `00`, trunk `0`, bare local) plus a length "
            "check. Each branch needs a case, including punctuation like parentheses and "
            "dashes, a different country code, and the length errors."
        )
        sym = fn
    tests = tests_file(f"import pytest\n\nfrom {lay.imp} import {fn}\n", [good])
    wrong_tests = (
        tests_file(f"import pytest\n\nfrom {lay.imp} import {fn}\n", [wrong]) if wrong else None
    )
    return python_tests_flow(
        ctx,
        PyTestsTask(
            family="py_write_tests",
            variant=kind,
            difficulty="easy" if kind != "phone" else "medium",
            summary=f"Write pytest tests for `{fn}`",
            repo=repo_name(ctx, d),
            layout=lay,
            module_code=code,
            mutant=mutant,
            tests=tests,
            user=(
                f"`{fn}` in `{lay.module}` has no tests and we're about to refactor it. Could "
                "you write a focused pytest suite that would catch regressions? Don't change "
                "the function itself."
            ),
            notes=notes,
            explanation=(
                f"Added `{lay.test_path}` covering every documented behaviour of `{fn}`, "
                "without changing the module. Each test targets a property a refactor could "
                "break (branching, boundaries, and error handling), so a regression shows up "
                "as a named failure."
            ),
            wrong_tests=wrong_tests,
            wrong_fail=wrong_fail or (),
            wrong_note=wrong_note or "",
            symbol=sym,
            blurb=f"Shared helpers for {what}.",
        ),
    )


# --------------------------------------------------------------------------- explanation

_RETRY = '''"""Outbound calls to the {{partner}} API."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def retry(
    times: int = {{times}},
    base_delay: float = {{base}},
    exceptions: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError),
    sleep: Callable[[float], None] = time.sleep,
) -> Callable[[F], F]:
    def decorator(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(times):
                try:
                    return fn(*args, **kwargs)
                except exceptions:
                    if attempt == times - 1:
                        raise
                    sleep(base_delay * 2**attempt + random.uniform(0, base_delay))
            raise AssertionError("unreachable")

        return wrapper  # type: ignore[return-value]

    return decorator


@retry()
def fetch_{{entity}}({{entity}}_id: str) -> dict[str, Any]:
    return _client().get(f"/{{plural}}/{{{entity}}_id}")


def _client() -> Any:
    raise NotImplementedError("wired up in production")
'''

_PIPE = '''"""Nightly import of {{plural}} from line-delimited JSON dumps."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any


def read_lines(path: str) -> Iterator[str]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield line


def parse(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        yield json.loads(line)


def only_active(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (r for r in records if r.get("status") != "deleted")


def batches(
    records: Iterable[dict[str, Any]], size: int = {{size}}
) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def pipeline(path: str) -> Iterator[list[dict[str, Any]]]:
    return batches(only_active(parse(read_lines(path))))
'''


_TXN = '''"""Database helpers for {{plural}} (sqlite3, opened with isolation_level=None)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

_depth: dict[int, int] = {}


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block atomically; a nested block becomes a savepoint."""
    depth = _depth.get(id(conn), 0)
    savepoint = f"sp{depth}"
    conn.execute("BEGIN" if depth == 0 else f"SAVEPOINT {savepoint}")
    _depth[id(conn)] = depth + 1
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK" if depth == 0 else f"ROLLBACK TO {savepoint}")
        raise
    else:
        conn.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")
    finally:
        _depth[id(conn)] = depth


def move_{{entity}}(conn: sqlite3.Connection, {{entity}}_id: int, target: str) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE {{plural}} SET {{owner}} = ? WHERE id = ?", (target, {{entity}}_id)
        )
        try:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO audit_log ({{entity}}_id, action) VALUES (?, 'move')",
                    ({{entity}}_id,),
                )
        except sqlite3.IntegrityError:
            pass  # auditing is best effort
'''


def _explain_transaction(d: Domain) -> tuple[str, str, str, str, str]:
    """(code, user question, reasoning notes, answer, summary) for the savepoint helper."""
    code = fill(_TXN, plural=d.plural, entity=d.entity, owner=d.owner_field)
    user = (
        f"In `move_{d.entity}`, if the audit insert fails, does the {d.entity} update still "
        "commit? And what would happen if I removed the `try/except` around the inner "
        "block? I find the nested `transaction()` confusing."
    )
    notes = (
        "Outer call: depth 0 -> BEGIN. Inner call: depth 1 -> SAVEPOINT sp1. Audit insert "
        "raises IntegrityError inside the inner block -> ROLLBACK TO sp1, re-raise. The "
        "except in move_* swallows it, the outer block finishes normally -> COMMIT. So the "
        "update commits without the audit row. Without the try/except the error reaches the "
        "outer context manager -> ROLLBACK of everything. Note the savepoint is rolled back "
        "to but never released in the error path; harmless because the outer COMMIT or "
        "ROLLBACK ends it. isolation_level=None matters for manual BEGIN."
    )
    answer = (
        "`transaction()` counts how deeply it is nested per connection. The outermost "
        "block issues `BEGIN`/`COMMIT`/`ROLLBACK`; any inner block uses a **savepoint** "
        f"(`SAVEPOINT sp1`, `RELEASE sp1`, `ROLLBACK TO sp1`).\n\n**Audit insert fails (as "
        f"written):** the inner block rolls back to its savepoint, undoing only the audit "
        f"insert, and re-raises `IntegrityError`. `move_{d.entity}` catches it, the outer "
        f"block ends normally and issues `COMMIT`: the {d.entity} update **is committed**, "
        "without an audit row.\n\n**Without the try/except:** the exception leaves the inner "
        "block (savepoint rolled back), then leaves the outer block, which issues "
        f"`ROLLBACK`: the {d.entity} update is undone too, and the caller sees the "
        "`IntegrityError`.\n\nTwo caveats:\n\n- It relies on the connection being opened "
        "with `isolation_level=None`; otherwise Python's sqlite3 opens implicit "
        'transactions and the explicit `BEGIN` fails with "cannot start a transaction '
        'within a transaction".\n- The depth is tracked in a module-level dict keyed by '
        "`id(conn)`, so it is per connection but not thread-safe if threads share one "
        "connection.\n\nSequence for the failing audit case:\n\n```sql\nBEGIN;\n"
        f"UPDATE {d.plural} SET {d.owner_field} = ? WHERE id = ?;\nSAVEPOINT sp1;\n"
        "INSERT INTO audit_log ...;   -- fails\nROLLBACK TO sp1;\nCOMMIT;\n```"
    )
    return code, user, notes, answer, "Explain nested transactions with savepoints"


def explain_code(ctx: Ctx) -> Draft:
    d = domain(ctx)
    kind = ctx.pick(("retry", "pipeline", "transaction"))
    modname = {"retry": "client", "pipeline": "nightly_import", "transaction": "db"}[kind]
    lay = py_layout(ctx, d.pkg, modname)
    files = py_project_files(repo_name(ctx, d), lay, f"Integration code for {d.plural}.")
    if kind == "transaction":
        code, user, notes, answer, summary = _explain_transaction(d)
        files[lay.module] = code
        symbol = "def transaction"
    elif kind == "retry":
        times = ctx.pick((3, 4, 5))
        base = ctx.pick((0.2, 0.5, 1.0))
        partner = ctx.pick(("payments", "shipping", "identity", "CRM"))
        code = fill(
            _RETRY, times=times, base=base, entity=d.entity, plural=d.plural, partner=partner
        )
        sleeps = [base * 2**a for a in range(times - 1)]
        fixed_total = sum(sleeps)
        jitter_max = base * (times - 1)
        files[lay.module] = code
        caller = f"{lay.module.rsplit('/', 1)[0]}/views.py" if "/" in lay.module else "views.py"
        files[caller] = (
            f"from {lay.imp} import fetch_{d.entity}\n\n\n"
            f"def show_{d.entity}(request, {d.entity}_id):\n"
            f"    return fetch_{d.entity}({d.entity}_id)\n"
        )
        schedule = ", ".join(f"{s:g}s" for s in sleeps)
        answer = (
            f"`@retry()` wraps `fetch_{d.entity}` so that a failing call is re-run up to "
            f"**{times} attempts in total** (the first call plus {times - 1} retries).\n\n"
            "**What is retried:** only `ConnectionError` and `TimeoutError` (the default "
            "`exceptions` tuple). A `ValueError`, `KeyError` or an HTTP error class that "
            "doesn't subclass those propagates immediately on the first attempt, with no "
            "sleep.\n\n"
            f"**Backoff:** before retry *n* (n = 0, 1, ...) it sleeps `{base} * 2**n` seconds "
            f"plus a random jitter in `[0, {base}]`: {schedule} before jitter. Jitter "
            "spreads out clients that failed at the same moment so they don't retry in "
            "lockstep.\n\n"
            f"**Worst case:** the sleeps add up to {fixed_total:g}s plus at most "
            f"{jitter_max:g}s of jitter, i.e. up to {fixed_total + jitter_max:g}s of waiting, "
            f"plus the duration of {times} attempts themselves (each bounded only by the "
            "client's own timeout). After the last failure the original exception is "
            "re-raised unchanged (bare `raise`), so callers see the real error type and "
            "traceback.\n\n"
            "**Testing tip:** `sleep` is injectable, so tests can pass `sleep=lambda s: None` "
            "(or a recorder) and run instantly.\n\n"
            "Sketch of the control flow:\n\n```python\nfor attempt in range(times):\n    try:\n"
            "        return fn(*args, **kwargs)\n    except exceptions:\n        if attempt == "
            "times - 1:\n            raise  # out of attempts: original error\n        "
            "sleep(base_delay * 2**attempt + random.uniform(0, base_delay))\n```"
        )
        user = (
            f"What exactly does the `@retry` on `fetch_{d.entity}` in `{lay.module}` do? "
            "How long can a call take in the worst case, and will it retry a ValueError?"
        )
        notes = (
            f"Defaults: times={times}, base_delay={base}, exceptions=(ConnectionError, "
            f"TimeoutError). Loop runs {times} attempts; sleeps happen only between attempts, "
            f"so {times - 1} sleeps: {schedule} plus jitter up to {base} each. Last failure "
            "re-raises. ValueError is not in the tuple, so it escapes at once."
        )
        summary = f"Explain the retry/backoff decorator used by fetch_{d.entity}"
        symbol = "def retry"
    else:
        size = ctx.pick((100, 250, 500, 1000))
        code = fill(_PIPE, plural=d.plural, size=size)
        files[lay.module] = code
        answer = (
            "Nothing is wrong: the whole pipeline is built from **generators**, which are "
            "lazy. `pipeline(path)` only wires the stages together and returns a generator "
            "object; no file is opened and no line is read until something iterates over "
            "it.\n\n"
            "When you do iterate (`for batch in pipeline(path): ...`), records are pulled "
            "through one at a time:\n\n1. `read_lines` opens the file on the first `next()` "
            "and yields non-blank lines;\n2. `parse` turns each line into a dict;\n3. "
            "`only_active` drops records whose status is `deleted`;\n4. `batches` "
            f"accumulates up to {size} records and yields each full list, then the partial "
            "remainder at the end.\n\n"
            f"So memory stays bounded by one batch ({size} records) no matter how large the "
            "dump is. Two consequences worth knowing:\n\n- A malformed line raises "
            "`json.JSONDecodeError` *during iteration*, after earlier batches were already "
            "processed, not when `pipeline()` is called.\n- The file stays open until the "
            "generator is exhausted or closed; if you stop early, call `.close()` on it "
            "(or use `contextlib.closing`) so `read_lines` can exit its `with` block.\n\n"
            "To actually run the import:\n\n```python\nfor batch in pipeline(path):\n    "
            "save(batch)\n```"
        )
        user = (
            f"I call `pipeline('/data/{d.plural}.jsonl')` from `{lay.module}` in a shell and "
            "it returns instantly, even for a 4 GB file, and nothing gets imported. Is it "
            "broken? How does this module actually work?"
        )
        notes = (
            "Every stage is a generator function or generator expression, so calling "
            "pipeline() just composes them; work happens only on iteration. That explains "
            "the instant return. Memory is bounded by the batch size. Errors surface lazily."
        )
        summary = "Explain why a generator-based import pipeline appears to do nothing"
        symbol = "def pipeline"
    return explain_flow(
        ctx,
        ExplainTask(
            family="py_explain",
            variant=kind,
            language="python",
            difficulty="easy" if kind == "pipeline" else "medium",
            summary=summary,
            repo=repo_name(ctx, d),
            files=files,
            reads=(lay.module,),
            user=user,
            notes=notes,
            answer=answer,
            symbol=symbol,
            search_suffix=".py",
        ),
    )


FAMILIES = [
    Family("py_refactor_validation", "python", 1, refactor_validation),
    Family("py_config_debugging", "python", 1, config_debugging),
    Family("py_code_review", "python", 1, code_review),
    Family("py_state_machine", "python", 1, state_machine),
    Family("py_write_tests", "python", 1, write_tests),
    Family("py_explain", "python", 1, explain_code),
]
