"""asyncio bug families: blocking calls in coroutines, forgotten awaits, unbounded gathers.

Tests use `asyncio.run` directly (no plugin needed), so they run under plain pytest.
"""

from __future__ import annotations

from fabricator.convo import Ctx, Draft
from fabricator.families import Family
from fabricator.families._common import fill, swap, tests_file
from fabricator.flows import PyTask, py_layout, python_fix_flow
from fabricator.vocab import domain, repo_name

_FETCHER = '''"""Concurrent loading of {{plural}} from the upstream API."""

from __future__ import annotations

import asyncio


async def {{load_one}}(client, key):
    """Fetch one {{entity}}; the client is async."""
    return await client.get(key)


async def {{load_all}}(client, keys, limit={{limit}}):
    """Fetch many {{plural}} with at most `limit` requests in flight."""
    gate = asyncio.Semaphore(limit)

    async def guarded(key):
        async with gate:
            return await {{load_one}}(client, key)

    return await asyncio.gather(*(guarded(k) for k in keys))
'''

_FETCHER_TESTS = {
    "values": """
def test_returns_values_in_order():
    client = FakeClient()
    keys = [f"k{i}" for i in range({{n}})]
    assert asyncio.run({{load_all}}(client, keys)) == [f"v-{k}" for k in keys]
""",
    "limit": """
def test_respects_concurrency_limit():
    client = FakeClient()
    asyncio.run({{load_all}}(client, [f"k{i}" for i in range({{n}})], limit={{limit}}))
    assert client.peak <= {{limit}}
""",
    "awaited": """
def test_single_fetch_is_awaited():
    client = FakeClient()
    assert asyncio.run({{load_one}}(client, "x")) == "v-x"
""",
}

_FAKE = """import asyncio


class FakeClient:
    def __init__(self):
        self.active = 0
        self.peak = 0

    async def get(self, key):
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.001)
        self.active -= 1
        return f"v-{key}"
"""


def unbounded_gather(ctx: Ctx) -> Draft:
    d = domain(ctx)
    load_one = ctx.pick(("fetch_one", "load_one", f"get_{d.entity}"))
    load_all = ctx.pick(("fetch_all", "load_many", f"get_{d.plural}"))
    limit = ctx.pick((2, 3, 4, 5))
    n = limit * ctx.rng.randint(3, 6)
    lay = py_layout(ctx, d.pkg, ctx.pick(("loader", "fetching", "upstream")))
    v = dict(
        load_one=load_one, load_all=load_all, limit=limit, n=n, plural=d.plural, entity=d.entity
    )
    fixed = fill(_FETCHER, **v)
    variant = ctx.pick(("no_semaphore", "missing_await"))
    if variant == "no_semaphore":
        buggy = swap(fixed, "        async with gate:\n            return", "        return")
        must = ("test_respects_concurrency_limit",)
        user = (
            f"Our upstream rate-limits us: `{load_all}` in `{lay.module}` is supposed to keep "
            f"at most {limit} requests in flight, but the API logs show {n} at once. "
            "Please fix and test it."
        )
        diagnosis = (
            "`guarded` creates the semaphore but never enters it, so every coroutine starts its "
            f"request immediately and `gather` runs all {n} concurrently."
        )
        root = "the semaphore was created but never acquired"
    else:
        buggy = swap(
            fixed, f"return await {load_one}(client, key)", f"return {load_one}(client, key)"
        )
        must = ("test_returns_values_in_order",)
        user = (
            f"`{load_all}` returns coroutine objects instead of {d.plural} (see `{lay.module}`), "
            "and Python warns that a coroutine was never awaited."
        )
        diagnosis = (
            f"Inside `guarded`, `{load_one}(client, key)` is returned without `await`, so gather "
            "collects un-awaited coroutine objects instead of results."
        )
        root = f"`{load_one}` was called without `await`"
    header = fill(
        "import asyncio\n\nfrom {{imp}} import {{load_all}}, {{load_one}}\n"
        "from fakes import FakeClient\n",
        imp=lay.imp,
        load_all=load_all,
        load_one=load_one,
    )
    cases = [fill(body, **v) for body in _FETCHER_TESTS.values()]
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_async_gather",
            variant=variant,
            category="bug_fix",
            difficulty="medium",
            summary=f"Fix {variant.replace('_', ' ')} in concurrent {d.plural} loading",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests_file(header, cases),
            user=user,
            diagnosis=diagnosis,
            plan="Acquire the semaphore around every request and await each fetch.",
            explanation=(
                f"Fixed: {root}. The tests check ordering, the concurrency cap and awaiting."
            ),
            must_fail=must,
            fixtures={"fakes.py": _FAKE},
            symbol=load_all,
            blurb=f"Async loading of {d.plural}.",
        ),
    )


_BLOCKING = '''"""Periodic refresh of cached {{plural}}."""

import asyncio
import time


async def {{refresh}}(store, keys, pause={{pause}}):
    """Refresh every key, pausing between keys without blocking the event loop."""
    done = []
    for key in keys:
        store[key] = store.get(key, 0) + 1
        done.append(key)
        await asyncio.sleep(pause)
    return done
'''

_BLOCKING_TESTS = """
def test_refresh_does_not_block_other_tasks():
    store = {}

    async def scenario():
        ticks = []

        async def ticker():
            for _ in range(200):
                ticks.append(1)
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        await {{refresh}}(store, ["a", "b", "c"], pause=0.01)
        seen = len(ticks)
        task.cancel()
        return seen

    assert asyncio.run(scenario()) > 3


def test_refresh_counts_every_key():
    store = {"a": 2}
    assert asyncio.run({{refresh}}(store, ["a", "b"], pause=0)) == ["a", "b"]
    assert store == {"a": 3, "b": 1}
"""


def blocking_sleep(ctx: Ctx) -> Draft:
    d = domain(ctx)
    refresh = ctx.pick(("refresh_cache", "warm_cache", f"refresh_{d.plural}"))
    lay = py_layout(ctx, d.pkg, ctx.pick(("refresher", "cache_jobs")))
    fixed = fill(_BLOCKING, refresh=refresh, plural=d.plural, pause=ctx.pick(("0.1", "0.5", "1.0")))
    buggy = swap(fixed, "await asyncio.sleep(pause)", "time.sleep(pause)")
    header = f"import asyncio\n\nfrom {lay.imp} import {refresh}\n"
    return python_fix_flow(
        ctx,
        PyTask(
            family="py_async_blocking",
            variant="time_sleep",
            category="debugging",
            difficulty="medium",
            summary="Replace a blocking sleep inside a coroutine",
            repo=repo_name(ctx, d),
            layout=lay,
            before=buggy,
            after=fixed,
            tests=tests_file(header, [fill(_BLOCKING_TESTS, refresh=refresh)]),
            user=f"While `{refresh}` runs, our whole async service stops answering health checks.",
            diagnosis="`time.sleep` blocks the event loop thread; no other task runs meanwhile.",
            plan="Use `await asyncio.sleep(pause)`, which yields to the loop.",
            explanation="The coroutine called `time.sleep`, freezing the event loop; it now awaits "
            "`asyncio.sleep`, so other tasks (health checks) keep running.",
            must_fail=("test_refresh_does_not_block_other_tasks",),
            symbol=refresh,
        ),
    )


FAMILIES = [
    Family("py_async_gather", "python", 2, unbounded_gather),
    Family("py_async_blocking", "python", 1, blocking_sleep),
]
