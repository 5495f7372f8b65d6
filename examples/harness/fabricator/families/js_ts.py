"""JavaScript and TypeScript families: timers, sorting, Express errors, React hooks, tsc.

These are not executed (the sandbox has no Node), so command outputs are rendered in the
exact formats jest, tsc, node and curl print, from the same parameters as the code.
"""

from __future__ import annotations

from fabricator.convo import Ctx, Draft
from fabricator.families import Family
from fabricator.families._common import fill
from fabricator.flows import Cmd, GenTask, generic_flow
from fabricator.vocab import Domain, domain, repo_name

CHECK, CROSS, DOT = "\u2713", "\u2715", "\u25cf"


def package_json(repo: str, deps: dict[str, str], dev: dict[str, str], test: str = "jest") -> str:
    def block(d: dict[str, str]) -> str:
        return ",\n".join(f'    "{k}": "{v}"' for k, v in d.items())

    return (
        f'{{\n  "name": "{repo}",\n  "version": "1.3.0",\n  "private": true,\n  "type": "module",\n'
        f'  "scripts": {{\n    "test": "{test}",\n    "build": "tsc -p ."\n  }},\n'
        f'  "dependencies": {{\n{block(deps)}\n  }},\n'
        f'  "devDependencies": {{\n{block(dev)}\n  }}\n}}\n'
    )


def jest_report(
    ctx: Ctx, path: str, describe: str, tests: list[tuple[str, bool]], failure: str = ""
) -> tuple[str, int]:
    """Output and exit code of `npx jest <path>` for the given test outcomes."""
    failed = sum(1 for _, ok in tests if not ok)
    lines = [f" {'FAIL' if failed else 'PASS'}  {path}", f"  {describe}"]
    for name, ok in tests:
        lines.append(f"    {CHECK if ok else CROSS} {name} ({ctx.rng.randint(1, 9)} ms)")
    if failed:
        bad = next(name for name, ok in tests if not ok)
        lines += ["", f"  {DOT} {describe} \u203a {bad}", "", failure.rstrip()]
    passed = len(tests) - failed
    counts = (f"{failed} failed, " if failed else "") + f"{passed} passed, {len(tests)} total"
    lines += [
        "",
        f"Test Suites: {'1 failed' if failed else '1 passed'}, 1 total",
        f"Tests:       {counts}",
        "Snapshots:   0 total",
        f"Time:        {ctx.rng.uniform(0.3, 1.9):.3f} s",
        f"Ran all test suites matching /{path.replace('/', chr(92) + '/')}/i.",
    ]
    return "\n".join(lines), 1 if failed else 0


# --------------------------------------------------------------------------- debounce

_DEBOUNCE_BUGGY = """/**
 * Delay `fn` until `waitMs` have passed without another call.
 */
export function debounce(fn, waitMs) {
  let timer = null;
  return function debounced(...args) {
    timer = setTimeout(() => fn.apply(this, args), waitMs);
  };
}
"""

_DEBOUNCE = """/**
 * Delay `fn` until `waitMs` have passed without another call.
 * Only the last call of a burst runs; `cancel()` drops a pending call.
 */
export function debounce(fn, waitMs) {
  let timer = null;
  function debounced(...args) {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn.apply(this, args);
    }, waitMs);
  }
  debounced.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  return debounced;
}
"""

_DEBOUNCE_TEST = """import { jest } from "@jest/globals";
import { debounce } from "./debounce.js";

describe("debounce", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test("calls the function once after the wait", () => {
    const fn = jest.fn();
    debounce(fn, {{wait}})("a");
    jest.advanceTimersByTime({{wait}});
    expect(fn).toHaveBeenCalledWith("a");
  });

  test("collapses a burst of calls into one", () => {
    const fn = jest.fn();
    const d = debounce(fn, {{wait}});
    for (const q of {{burst}}) d(q);
    jest.advanceTimersByTime({{wait}});
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenLastCalledWith("{{last}}");
  });

  test("cancel drops the pending call", () => {
    const fn = jest.fn();
    const d = debounce(fn, {{wait}});
    d("x");
    d.cancel();
    jest.advanceTimersByTime({{wait}});
    expect(fn).not.toHaveBeenCalled();
  });
});
"""


def debounce(ctx: Ctx) -> Draft:
    d = domain(ctx)
    wait = ctx.pick((150, 200, 250, 300, 400))
    word = ctx.pick(d.words).replace(" ", "")
    burst = [word[: i + 1] for i in range(min(len(word), 6))]
    usage = ctx.pick(("search box", "filter input", "autosave on the edit form"))
    repo = repo_name(ctx, d)
    util = "src/utils/debounce.js"
    test_path = "src/utils/debounce.test.js"
    ent = d.entity.title().replace("_", "")
    comp = f"src/components/{ent}Search.js"
    comp_src = (
        'import { debounce } from "../utils/debounce.js";\n'
        f'import {{ search{ent} }} from "../api.js";\n\n'
        "export function attachSearch(input, render) {\n"
        f"  const run = debounce(async (q) => render(await search{ent}(q)), {wait});\n"
        '  input.addEventListener("input", (e) => run(e.target.value));\n}\n'
    )
    test_src = fill(_DEBOUNCE_TEST, wait=wait, burst=str(burst).replace("'", '"'), last=burst[-1])
    files = {
        "package.json": package_json(repo, {"express": "^4.19.2"}, {"jest": "^29.7.0"}),
        util: _DEBOUNCE_BUGGY,
        comp: comp_src,
        "README.md": f"# {repo}\n\nFront-end for {d.plural}.\n",
    }
    n = len(burst)
    failure = f"""    expect(jest.fn()).toHaveBeenCalledTimes(expected)

    Expected number of calls: 1
    Received number of calls: {n}

      17 |     for (const q of {str(burst).replace("'", '"')}) d(q);
      18 |     jest.advanceTimersByTime({wait});
    > 19 |     expect(fn).toHaveBeenCalledTimes(1);
         |                ^
      20 |     expect(fn).toHaveBeenLastCalledWith("{burst[-1]}");
      21 |   }});

      at Object.toHaveBeenCalledTimes ({test_path}:19:16)"""
    red, red_code = jest_report(
        ctx,
        test_path,
        "debounce",
        [
            ("calls the function once after the wait", True),
            ("collapses a burst of calls into one", False),
            ("cancel drops the pending call", False),
        ],
        failure,
    )
    green, _ = jest_report(
        ctx,
        test_path,
        "debounce",
        [
            ("calls the function once after the wait", True),
            ("collapses a burst of calls into one", True),
            ("cancel drops the pending call", True),
        ],
    )
    return generic_flow(
        ctx,
        GenTask(
            family="js_debounce",
            variant=usage.split()[0],
            category="bug_fix",
            language="javascript",
            difficulty="easy",
            summary="Fix debounce firing once per call instead of once per burst",
            repo=repo,
            files=files,
            changes=[(util, _DEBOUNCE), (test_path, test_src)],
            user=(
                f"The {usage} fires one API request per keystroke: typing `{word}` sends {n} "
                f"requests, all {wait} ms late. It's wrapped in our `debounce` from `{util}`, "
                "so it should send one. Can you fix it (and add a way to cancel a pending "
                "call, we need that on unmount)?"
            ),
            diagnosis=(
                "`debounced` schedules a new timeout on every call but never clears the "
                "previous one, so each keystroke's timer still fires: that's a delay, not a "
                "debounce. The fix is `clearTimeout(timer)` before scheduling. For cancel, "
                "expose `debounced.cancel()`. I'll also add jest tests with fake timers; the "
                "repo has none for this util."
            ),
            explanation=(
                "`debounce` scheduled a fresh `setTimeout` on every call without clearing the "
                f"previous one, so all {n} keystrokes fired, each {wait} ms late. Now each call "
                "clears the pending timer first, so only the last call of a burst runs, and "
                "`debounced.cancel()` drops a pending call (use it on unmount). Added "
                f"`{test_path}` with fake timers: single call, burst, and cancel."
            ),
            fence_lang="javascript",
            reads=(util, comp) if ctx.chance(0.5) else (util,),
            symbol="debounce(",
            search_suffix=".js",
            verify=(Cmd(f"npx jest {test_path}", green),),
            first_try=(test_path, test_src),
            first_try_check=Cmd(f"npx jest {test_path}", red, red_code),
            first_try_note=(
                "The burst test fails with 6 calls instead of 1, matching the report, and "
                "`cancel` doesn't exist yet. Now the fix in the util."
            ).replace("6 calls", f"{n} calls"),
        ),
    )


# --------------------------------------------------------------------------- numeric sort

_SORT_BUGGY = """/** Leaderboard helpers for {{plural}}. */

export function topN(values, n) {
  return values.sort().reverse().slice(0, n);
}

export function median(values) {
  const sorted = values.sort();
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
"""

_SORT = """/** Leaderboard helpers for {{plural}}. */

const byNumber = (a, b) => a - b;

export function topN(values, n) {
  return [...values].sort(byNumber).reverse().slice(0, n);
}

export function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort(byNumber);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
"""


def numeric_sort(ctx: Ctx) -> Draft:
    d = domain(ctx)
    values = sorted(
        {ctx.rng.choice((3, 7, 9, 12, 25, 40, 85, 100, 120, 250, 1000)) for _ in range(8)}
    )
    ctx.rng.shuffle(values)
    n = 3
    lex = sorted(values, key=str)
    buggy_top = list(reversed(lex))[:n]
    real_top = sorted(values, reverse=True)[:n]
    metric = f"{d.amount_field}"
    repo = repo_name(ctx, d)
    path = "src/stats/leaderboard.js"
    files = {
        "package.json": package_json(repo, {}, {"jest": "^29.7.0"}),
        path: fill(_SORT_BUGGY, plural=d.plural),
        "src/stats/index.js": 'export * from "./leaderboard.js";\n',
    }
    vals = ", ".join(map(str, values))
    node = (
        f"node --input-type=module -e \"import {{ topN }} from './{path}'; "
        f'console.log(topN([{vals}], {n}))"'
    )
    rep = Cmd(node, f"[ {', '.join(map(str, buggy_top))} ]")
    fixed_cmd = Cmd(
        node.replace("console.log(topN", "const v = [" + vals + "]; console.log(topN").replace(
            f"topN([{vals}], {n})", f"topN(v, {n}), v[0]"
        ),
        f"[ {', '.join(map(str, real_top))} ] {values[0]}",
    )
    return generic_flow(
        ctx,
        GenTask(
            family="js_numeric_sort",
            variant="default_sort",
            category="bug_fix",
            language="javascript",
            difficulty="easy",
            summary="Fix lexicographic sort in leaderboard helpers",
            repo=repo,
            files=files,
            changes=[(path, fill(_SORT, plural=d.plural))],
            user=(
                f"The top-{n} {d.plural} by {metric} widget is nonsense: with values "
                f"[{vals}] it shows {buggy_top}. Also the original array passed in by the "
                f"caller comes back reordered. Code is in `{path}`."
            ),
            diagnosis=(
                "`Array.prototype.sort()` without a comparator converts elements to strings "
                f"and compares them lexicographically, so {lex[-1]} sorts after "
                f"{sorted(values)[-1]}. It also sorts in place, which is why the caller's "
                "array is reordered; `median` has both problems too."
            ),
            explanation=(
                "Both helpers called `sort()` without a comparator, which compares numbers "
                'as strings ("100" < "25"), and sorted the caller\'s array in place. They '
                "now sort a copy (`[...values]`) with a numeric comparator, and `median` "
                "returns `undefined` for an empty list instead of `NaN`."
            ),
            fence_lang="javascript",
            reads=(path,),
            symbol=".sort()",
            search_suffix=".js",
            reproduce=rep,
            verify=(fixed_cmd,),
        ),
    )


# --------------------------------------------------------------------------- express async

_ROUTE_BUGGY = """import express from "express";
import { find{{Entity}} } from "../db/{{plural}}.js";

export const router = express.Router();

router.get("/:id", async (req, res) => {
  const {{entity}} = await find{{Entity}}(req.params.id);
  if (!{{entity}}) {
    throw new NotFoundError(`{{entity}} ${req.params.id} not found`);
  }
  res.json({{entity}});
});

export class NotFoundError extends Error {
  status = 404;
}
"""

_ROUTE = """import express from "express";
import { find{{Entity}} } from "../db/{{plural}}.js";

export const router = express.Router();

export class NotFoundError extends Error {
  status = 404;
}

// Express 4 ignores the promise an async handler returns: forward rejections to next().
const asyncHandler = (handler) => (req, res, next) =>
  Promise.resolve(handler(req, res, next)).catch(next);

router.get(
  "/:id",
  asyncHandler(async (req, res) => {
    const {{entity}} = await find{{Entity}}(req.params.id);
    if (!{{entity}}) {
      throw new NotFoundError(`{{entity}} ${req.params.id} not found`);
    }
    res.json({{entity}});
  }),
);
"""

_APP = """import express from "express";
import { router as {{plural}} } from "./routes/{{plural}}.js";

export const app = express();
app.use(express.json());
app.use("/api/{{plural}}", {{plural}});

app.use((err, req, res, next) => {
  const status = err.status ?? 500;
  res.status(status).json({ error: status === 500 ? "internal error" : err.message });
});
"""


def express_async(ctx: Ctx) -> Draft:
    d = domain(ctx)
    ent = d.entity.title().replace("_", "")
    v = dict(Entity=ent, entity=d.entity, plural=d.plural)
    route = f"src/routes/{d.plural}.js"
    repo = repo_name(ctx, d)
    files = {
        "package.json": package_json(
            repo, {"express": "^4.19.2", "pg": "^8.11.3"}, {"jest": "^29.7.0"}
        ),
        "src/app.js": fill(_APP, **v),
        route: fill(_ROUTE_BUGGY, **v),
        f"src/db/{d.plural}.js": (
            'import { pool } from "./pool.js";\n\n'
            f"export async function find{ent}(id) {{\n"
            f'  const sql = "SELECT * FROM {d.plural} WHERE id = $1";\n'
            "  const { rows } = await pool.query(sql, [id]);\n"
            "  return rows[0] ?? null;\n}\n"
        ),
    }
    missing = ctx.rng.randint(900, 99999)
    port = ctx.pick((3000, 8080, 4000))
    url = f"localhost:{port}/api/{d.plural}/{missing}"
    hang = Cmd(
        f"curl -s -m 5 -w '%{{http_code}}' {url}",
        "000\ncurl: (28) Operation timed out after 5001 milliseconds with 0 bytes received",
        28,
    )
    log = Cmd(
        "tail -n 6 logs/server.log",
        f"(node:{ctx.rng.randint(2000, 9000)}) UnhandledPromiseRejectionWarning: NotFoundError: "
        f"{d.entity} {missing} not found\n    at file:///srv/{repo}/{route}:9:11\n"
        "(Use `node --trace-warnings ...` to show where the warning was created)",
    )
    ok = Cmd(
        f"curl -s -w ' %{{http_code}}' {url}",
        f'{{"error":"{d.entity} {missing} not found"}} 404',
    )
    return generic_flow(
        ctx,
        GenTask(
            family="js_express_async",
            variant="unhandled_rejection",
            category=ctx.pick(("bug_fix", "debugging")),
            language="javascript",
            difficulty="medium",
            summary="Forward async route errors to the Express error handler",
            repo=repo,
            files=files,
            changes=[(route, fill(_ROUTE, **v))],
            user=(
                f"`GET /api/{d.plural}/<unknown id>` hangs until the client times out instead "
                "of returning 404. We have an error middleware in `src/app.js` that should "
                "handle `NotFoundError`. Express 4."
            ),
            diagnosis=(
                "Express 4 doesn't await route handlers: when the async handler throws, the "
                "returned promise rejects, nobody catches it, and the request is never "
                "answered (the log shows an unhandled rejection). The error middleware only "
                "sees errors passed to `next(err)` or thrown synchronously. Wrapping async "
                "handlers so rejections go to `next` fixes it for every route. I also want "
                "`NotFoundError` declared before use for readability."
            ),
            explanation=(
                "Express 4 ignores the promise returned by an async handler, so the thrown "
                "`NotFoundError` became an unhandled rejection and the response never "
                "finished. The route is now wrapped in a small `asyncHandler` that forwards "
                "rejections to `next`, so the existing error middleware turns it into a 404. "
                "Use the same wrapper for other async routes (or upgrade to Express 5, which "
                "handles rejected promises natively)."
            ),
            fence_lang="javascript",
            reads=(route, "src/app.js"),
            symbol="NotFoundError",
            search_suffix=".js",
            reproduce=hang if ctx.chance(0.6) else log,
            verify=(ok,),
        ),
    )


# --------------------------------------------------------------------------- tsc narrowing

_TOTALS_BUGGY = """import type { {{Entity}} } from "./types";

export function indexByOwner(items: {{Entity}}[]): Map<string, {{Entity}}[]> {
  const index = new Map<string, {{Entity}}[]>();
  for (const item of items) {
    const list = index.get(item.{{owner}}) ?? [];
    list.push(item);
    index.set(item.{{owner}}, list);
  }
  return index;
}

export function totalFor(owner: string, index: Map<string, {{Entity}}[]>): number {
  const items = index.get(owner);
  return items.reduce((sum, item) => sum + item.{{amount}}, 0);
}
"""

_TOTALS = """import type { {{Entity}} } from "./types";

export function indexByOwner(items: {{Entity}}[]): Map<string, {{Entity}}[]> {
  const index = new Map<string, {{Entity}}[]>();
  for (const item of items) {
    const list = index.get(item.{{owner}}) ?? [];
    list.push(item);
    index.set(item.{{owner}}, list);
  }
  return index;
}

export function totalFor(owner: string, index: Map<string, {{Entity}}[]>): number {
  const items = index.get(owner) ?? [];
  return items.reduce((sum, item) => sum + item.{{amount}}, 0);
}
"""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def ts_narrowing(ctx: Ctx) -> Draft:
    d: Domain = domain(ctx)
    ent = d.entity.title().replace("_", "")
    owner, amount = _camel(d.owner_field), _camel(d.amount_field)
    v = dict(Entity=ent, owner=owner, amount=amount)
    path = f"src/{d.pkg}/totals.ts"
    repo = repo_name(ctx, d)
    files = {
        "package.json": package_json(
            repo, {}, {"typescript": "^5.4.5", "vitest": "^1.6.0"}, test="vitest run"
        ),
        "tsconfig.json": '{\n  "compilerOptions": {\n    "strict": true,\n    "target": "ES2022",\n'
        '    "module": "ESNext",\n    "moduleResolution": "Bundler",\n    "noEmit": true\n  },\n'
        '  "include": ["src"]\n}\n',
        f"src/{d.pkg}/types.ts": f"export interface {ent} {{\n  id: string;\n  {owner}: string;\n"
        f"  {amount}: number;\n}}\n",
        path: fill(_TOTALS_BUGGY, **v),
    }
    err = Cmd(
        "npx tsc --noEmit",
        f"{path}(15,10): error TS18048: 'items' is possibly 'undefined'.\n\n"
        f"Found 1 error in {path}:15\n",
        2,
    )
    tests = Cmd(
        "npx vitest run",
        f" \u2713 src/{d.pkg}/totals.test.ts (3 tests) {ctx.rng.randint(2, 9)}ms\n\n"
        " Test Files  1 passed (1)\n      Tests  3 passed (3)\n"
        f"   Duration  {ctx.rng.randint(300, 900)}ms",
    )
    return generic_flow(
        ctx,
        GenTask(
            family="ts_narrowing",
            variant="map_get_undefined",
            category="debugging",
            language="typescript",
            difficulty="easy",
            summary="Fix TS18048 'possibly undefined' after enabling strict mode",
            repo=repo,
            files=files,
            changes=[(path, fill(_TOTALS, **v))],
            user=(
                'We just turned on `"strict": true` and `tsc` fails in '
                f"`{path}`. The tests pass at runtime, so what's the right fix? I'd rather "
                "not sprinkle `!` everywhere."
            ),
            diagnosis=(
                "`Map.get` returns `V | undefined`; under strictNullChecks `items.reduce` is "
                "flagged because an owner with no entries really does produce `undefined` at "
                "runtime, and `reduce` would throw a TypeError. The tests pass only because "
                "they never ask for an unknown owner. The honest fix is a default: an owner "
                "with no entries has total 0, so `?? []`."
            ),
            explanation=(
                "`index.get(owner)` is typed `T[] | undefined`, and the compiler is right: "
                "for an owner with no entries `items.reduce` would throw at runtime. Rather "
                "than a non-null assertion (`!`), which would just silence the check, the "
                "lookup now defaults to an empty array, so the total for an unknown owner is "
                "0. `tsc --noEmit` is clean and the tests still pass."
            ),
            fence_lang="typescript",
            reads=(path, f"src/{d.pkg}/types.ts") if ctx.chance(0.4) else (path,),
            symbol="index.get(",
            search_suffix=".ts",
            reproduce=err,
            verify=(Cmd("npx tsc --noEmit", ""), tests),
        ),
    )


# --------------------------------------------------------------------------- react interval

_POLL_BUGGY = """import { useEffect, useState } from "react";

export function {{Comp}}({ intervalMs = {{ms}} }: { intervalMs?: number }) {
  const [count, setCount] = useState(0);

  useEffect(() => {
    const id = setInterval(() => {
      setCount(count + 1);
    }, intervalMs);
    return () => clearInterval(id);
  }, []);

  return <span data-testid="{{testid}}">{count}</span>;
}
"""

_POLL = """import { useEffect, useState } from "react";

export function {{Comp}}({ intervalMs = {{ms}} }: { intervalMs?: number }) {
  const [count, setCount] = useState(0);

  useEffect(() => {
    const id = setInterval(() => {
      setCount((c) => c + 1);
    }, intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);

  return <span data-testid="{{testid}}">{count}</span>;
}
"""


def react_interval(ctx: Ctx) -> Draft:
    d = domain(ctx)
    comp = ctx.pick(("SecondsOnline", "PendingTicker", "ElapsedCounter"))
    ms = ctx.pick((1000, 500, 2000))
    testid = "elapsed"
    path = f"src/components/{comp}.tsx"
    repo = repo_name(ctx, d)
    v = dict(Comp=comp, ms=ms, testid=testid)
    files = {
        "package.json": package_json(
            repo,
            {"react": "^18.3.1", "react-dom": "^18.3.1"},
            {"typescript": "^5.4.5", "vitest": "^1.6.0", "@testing-library/react": "^15.0.7"},
            test="vitest run",
        ),
        path: fill(_POLL_BUGGY, **v),
    }
    test_path = f"src/components/{comp}.test.tsx"
    test_src = (
        'import { act, render, screen } from "@testing-library/react";\n'
        'import { afterEach, beforeEach, expect, test, vi } from "vitest";\n'
        f'import {{ {comp} }} from "./{comp}";\n\n'
        "beforeEach(() => vi.useFakeTimers());\nafterEach(() => vi.useRealTimers());\n\n"
        f'test("counts every tick", () => {{\n  render(<{comp} intervalMs={{{ms}}} />);\n'
        f"  act(() => {{\n    vi.advanceTimersByTime({ms * 3});\n  }});\n"
        f'  expect(screen.getByTestId("{testid}").textContent).toBe("3");\n}});\n'
    )
    red = Cmd(
        f"npx vitest run {test_path}",
        f" \u276f {test_path} (1 test | 1 failed) {ctx.rng.randint(20, 60)}ms\n"
        f"   \u00d7 counts every tick\n\n"
        "AssertionError: expected '1' to be '3' // Object.is equality\n\n"
        "- Expected\n+ Received\n\n- 3\n+ 1\n\n"
        f" Test Files  1 failed (1)\n      Tests  1 failed (1)",
        1,
    )
    green = Cmd(
        f"npx vitest run {test_path}",
        f" \u2713 {test_path} (1 test) {ctx.rng.randint(20, 60)}ms\n\n"
        " Test Files  1 passed (1)\n      Tests  1 passed (1)",
    )
    return generic_flow(
        ctx,
        GenTask(
            family="react_stale_closure",
            variant=comp,
            category=ctx.pick(("bug_fix", "explanation")),
            language=["typescript", "tsx"],
            difficulty="medium",
            summary=f"Fix stale closure in `{comp}` interval",
            repo=repo,
            files=files,
            changes=[(test_path, test_src), (path, fill(_POLL, **v))],
            user=(
                f"`<{comp} />` goes from 0 to 1 and then stays at 1 forever, even though the "
                "interval keeps running (I added a console.log). Why, and what's the proper "
                f"fix? Component: `{path}`."
            ),
            diagnosis=(
                "Classic stale closure: the effect runs once (`[]` deps), so the interval "
                "callback captured `count` from the first render, where it is 0. Every tick "
                "calls `setCount(0 + 1)`, so the state stays 1. A functional update "
                "`setCount(c => c + 1)` reads the latest state without re-creating the "
                "interval. `intervalMs` also belongs in the deps. I'll pin it with a "
                "fake-timer test first."
            ),
            explanation=(
                "**Why:** the effect runs only once, so the interval callback closes over "
                "the `count` of the first render (0) and keeps calling `setCount(0 + 1)`. "
                "React bails out on the unchanged value, so the counter sticks at 1.\n\n"
                "**Fix:** use a functional update, `setCount((c) => c + 1)`, which always "
                "receives the current state, so the interval doesn't need to be recreated. "
                "`intervalMs` is now in the dependency list, so changing the prop restarts the "
                f"interval. Added `{test_path}` with fake timers (3 ticks -> 3)."
            ),
            fence_lang="tsx",
            reads=(path,),
            symbol="setInterval",
            search_suffix=".tsx",
            verify=(green,),
            first_try=(test_path, test_src),
            first_try_check=red,
            first_try_note="Reproduced: 1 instead of 3. Now the component.",
            show=(path,),
        ),
    )


FAMILIES = [
    Family("js_debounce", "javascript", 1, debounce),
    Family("js_numeric_sort", "javascript", 1, numeric_sort),
    Family("js_express_async", "javascript", 1, express_async),
    Family("ts_narrowing", "typescript", 1, ts_narrowing),
    Family("react_stale_closure", "typescript", 1, react_interval),
]
