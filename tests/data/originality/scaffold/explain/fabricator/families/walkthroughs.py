"""Code walkthrough families: the user asks how something works, the agent reads and runs it.

Answers are assembled from facts computed here (call order, cache hits, retry delays), so
what the agent says matches what the program it shows would print.
"""

from __future__ import annotations

from fabricator.convo import Ctx, Draft
from fabricator.families import Family
from fabricator.flows import Cmd, ExplainTask, explain_flow
from fabricator.vocab import domain, repo_name, service_name

_RETRY = """import random
import time


def with_retries(call, attempts={{attempts}}, base={{base}}, cap={{cap}}):
    for attempt in range(attempts):
        try:
            return call()
        except ConnectionError:
            if attempt == attempts - 1:
                raise
            delay = min(cap, base * 2 ** attempt)
            time.sleep(delay * random.uniform(0.5, 1.0))
"""


def retry_backoff(ctx: Ctx) -> Draft:
    d = domain(ctx)
    attempts = ctx.rng.randint(3, 6)
    base = ctx.pick((0.1, 0.2, 0.5))
    cap = ctx.pick((2, 5, 10))
    delays = [min(cap, base * 2**i) for i in range(attempts - 1)]
    worst = sum(delays)
    path = f"{d.pkg}/net/retry.py"
    code = _RETRY.replace("{{attempts}}", str(attempts)).replace("{{base}}", str(base))
    code = code.replace("{{cap}}", str(cap))
    listing = ", ".join(f"{x:g}s" for x in delays)
    return explain_flow(
        ctx,
        ExplainTask(
            family="walk_retry",
            variant=f"a{attempts}",
            language="python",
            difficulty="easy",
            summary="Explain exponential backoff with jitter",
            repo=repo_name(ctx, d),
            files={path: code},
            reads=(path,),
            user=f"How long can `with_retries` in {path} wait in total before it gives up?",
            notes=f"delays before jitter: {listing}; jitter scales each by 0.5-1.0",
            answer=(
                f"It tries {attempts} times and sleeps between tries, never after the last one. "
                f"The nominal delays double from {base:g}s and are capped at {cap}s: {listing}. "
                f"Jitter multiplies each by a factor in [0.5, 1.0), so the total wait is between "
                f"{worst / 2:.2f}s and {worst:.2f}s before the last ConnectionError propagates."
            ),
            symbol="with_retries",
            search_suffix=".py",
        ),
    )


_CACHE = """from functools import lru_cache

CALLS = []


@lru_cache(maxsize={{size}})
def {{fn}}(key):
    CALLS.append(key)
    return key.upper()


if __name__ == "__main__":
    for k in {{keys}}:
        {{fn}}(k)
    print(len(CALLS), {{fn}}.cache_info())
"""


def lru_walk(ctx: Ctx) -> Draft:
    d = domain(ctx)
    svc = service_name(ctx, d)
    size = ctx.rng.randint(1, 3)
    keys = [ctx.pick(("a", "b", "c", "d")) for _ in range(ctx.rng.randint(5, 9))]
    cache: list[str] = []
    hits = misses = 0
    for k in keys:
        if k in cache:
            hits += 1
            cache.remove(k)
        else:
            misses += 1
            if len(cache) == size:
                cache.pop(0)
        cache.append(k)
    fn = ctx.pick(("lookup", "resolve", f"load_{d.entity}"))
    path = f"{svc}/cache_demo.py"
    code = (
        _CACHE.replace("{{size}}", str(size)).replace("{{fn}}", fn).replace("{{keys}}", repr(keys))
    )
    out = f"{misses} CacheInfo(hits={hits}, misses={misses}, maxsize={size}, currsize={len(cache)})"
    return explain_flow(
        ctx,
        ExplainTask(
            family="walk_lru",
            variant=f"size{size}",
            language="python",
            difficulty="medium",
            summary="Explain lru_cache hits and evictions",
            repo=repo_name(ctx, d),
            files={path: code},
            reads=(path,),
            user=f"Why does `{fn}` in {path} recompute so often? I expected mostly cache hits.",
            notes=f"keys {keys}, maxsize {size}: {hits} hits, {misses} misses",
            answer=(
                f"`maxsize={size}` keeps only the {size} most recently used keys. The sequence "
                f"{keys} keeps evicting keys shortly before they are requested again, so only "
                f"{hits} of {len(keys)} calls hit. Raise `maxsize` to at least the number of "
                "distinct keys (4) and every repeat becomes a hit."
            ),
            symbol=fn,
            search_suffix=".py",
            run=Cmd(f"python {path}", out),
            run_note="Running it confirms the counts.",
        ),
    )


FAMILIES = [
    Family("walk_retry", "python", 1, retry_backoff),
    Family("walk_lru", "python", 1, lru_walk),
]
