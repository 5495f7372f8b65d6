"""SQL families: join semantics, indexes and query plans, window-function frames.

Result tables and plans are computed from the generated rows and rendered the way psql
prints them, so the numbers in a conversation are consistent with each other.
"""

from __future__ import annotations

import datetime as dt

from fabricator.convo import Ctx, Draft
from fabricator.families import Family
from fabricator.families._common import fill
from fabricator.flows import Cmd, GenTask, generic_flow
from fabricator.vocab import domain, repo_name

PARENTS = (
    ("customers", "customer_id"),
    ("accounts", "account_id"),
    ("members", "member_id"),
    ("teams", "team_id"),
)
NAMES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Soylent")


def psql_table(headers: list[str], rows: list[list[object]]) -> str:
    """Render rows like psql's default aligned output, including the row count footer."""
    cells = [[str(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def fmt(values: list[str], numeric: list[bool]) -> str:
        parts = [
            (v.rjust(w) if num else v.ljust(w))
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return " " + " | ".join(parts).rstrip()

    numeric = [
        all(c[i].replace(".", "").replace("-", "").isdigit() for c in cells)
        for i in range(len(headers))
    ]
    head = " " + " | ".join(h.center(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    rule = "-" + "-+-".join("-" * w for w in widths) + "-"
    body = [fmt(r, numeric) for r in cells]
    n = len(rows)
    return "\n".join([head, rule, *body, f"({n} row{'s' if n != 1 else ''})"])


# --------------------------------------------------------------------------- LEFT JOIN

_REPORT_BUGGY = """-- Every {{parent_one}} with its number of {{child}} in the last {{days}} days,
-- including {{parent}} with none (the account managers call those).
SELECT p.id, p.name, COUNT(c.id) AS recent_{{child}}
FROM {{parent}} AS p
LEFT JOIN {{child}} AS c ON c.{{fk}} = p.id
WHERE c.created_at >= now() - interval '{{days}} days'
GROUP BY p.id, p.name
ORDER BY recent_{{child}} DESC, p.name;
"""

_REPORT = """-- Every {{parent_one}} with its number of {{child}} in the last {{days}} days,
-- including {{parent}} with none (the account managers call those).
-- The date filter lives in the ON clause: in WHERE it would discard the NULL rows that
-- LEFT JOIN produces for {{parent}} without {{child}}, turning it into an inner join.
SELECT p.id, p.name, COUNT(c.id) AS recent_{{child}}
FROM {{parent}} AS p
LEFT JOIN {{child}} AS c
       ON c.{{fk}} = p.id
      AND c.created_at >= now() - interval '{{days}} days'
GROUP BY p.id, p.name
ORDER BY recent_{{child}} DESC, p.name;
"""


def left_join(ctx: Ctx) -> Draft:
    d = domain(ctx)
    parent, fk = ctx.pick(PARENTS)
    child = d.plural
    days = ctx.pick((7, 30, 90))
    names = ctx.sample(NAMES, 5)
    counts = [ctx.rng.choice((0, 0, 1, 2, 3, 5, 8)) for _ in names]
    hi, lo = ctx.sample(range(5), 2)
    counts[hi] = max(counts) + 1
    counts[lo] = 0
    rows = sorted(
        ([i + 1, n, c] for i, (n, c) in enumerate(zip(names, counts, strict=True))),
        key=lambda r: (-int(r[2]), str(r[1])),
    )
    path = f"reports/{parent}_activity.sql"
    v = dict(parent=parent, parent_one=parent[:-1], child=child, fk=fk, days=days)
    headers = ["id", "name", f"recent_{child}"]
    before = psql_table(headers, [r for r in rows if r[2]])
    after = psql_table(headers, rows)
    zero = [str(r[1]) for r in rows if not r[2]]
    cmd = f'psql "$REPORTING_URL" -f {path}'
    return generic_flow(
        ctx,
        GenTask(
            family="sql_left_join",
            variant=parent,
            category="bug_fix",
            language="sql",
            difficulty="medium",
            summary="Keep zero-activity rows in a LEFT JOIN report",
            repo=repo_name(ctx, d),
            files={
                path: fill(_REPORT_BUGGY, **v),
                "reports/README.md": "Reports run nightly with psql against the read replica.\n",
            },
            changes=[(path, fill(_REPORT, **v))],
            user=(
                f"The `{parent}` activity report is supposed to list *every* {parent[:-1]}, "
                f"with 0 for those without {child} in the last {days} days. Account managers "
                f"say {', '.join(zero)} never show up although they exist. Query: `{path}`."
            ),
            diagnosis=(
                "The `LEFT JOIN` keeps unmatched parents with NULLs in the child columns, but "
                "then `WHERE c.created_at >= ...` evaluates to NULL for exactly those rows and "
                "filters them out, so the query behaves like an inner join. The date condition "
                "belongs in the `ON` clause; `COUNT(c.id)` then counts 0 for them."
            ),
            explanation=(
                f"The `WHERE` filter on `{child}.created_at` removed the rows the `LEFT JOIN` "
                f"had kept for {parent} without recent {child} (their `created_at` is NULL), "
                "so the report silently became an inner join. Moving the condition into the "
                f"join's `ON` clause keeps every {parent[:-1]}, and `COUNT(c.id)` (which "
                f"ignores NULLs) reports 0 for {', '.join(zero)}."
            ),
            fence_lang="sql",
            reads=(path,),
            symbol="LEFT JOIN",
            search_suffix=".sql",
            reproduce=Cmd(cmd, before),
            verify=(Cmd(cmd, after),),
        ),
    )


# --------------------------------------------------------------------------- index

_QUERY = """-- Latest open {{child}} of one {{owner_one}} (dashboard, called on every page view).
SELECT id, {{label}}, created_at
FROM {{child}}
WHERE {{owner}} = $1 AND status = 'open'
ORDER BY created_at DESC
LIMIT 20;
"""

_MIGRATION = """-- Serves app/queries/recent_{{child}}.sql:
-- equality on {{owner}}, newest first, open rows only.
-- CONCURRENTLY avoids locking writes on a large table; it cannot run inside a transaction.
CREATE INDEX CONCURRENTLY IF NOT EXISTS {{child}}_{{owner}}_open_created_idx
    ON {{child}} ({{owner}}, created_at DESC)
    WHERE status = 'open';
"""


def slow_query(ctx: Ctx) -> Draft:
    d = domain(ctx)
    child = d.plural
    owner = d.owner_field
    total = ctx.rng.randint(8, 40) * 100_000
    match = ctx.rng.randint(2000, 20000)
    owner_id = ctx.rng.randint(100, 99999)
    slow = ctx.rng.uniform(250, 1900)
    seq_cost = total * 0.024
    plan_before = (
        f"Limit  (cost={seq_cost:.2f}..{seq_cost + 0.05:.2f} rows=20 width=52) "
        f"(actual time={slow:.3f}..{slow + 0.008:.3f} rows=20 loops=1)\n"
        f"  ->  Sort  (cost={seq_cost:.2f}..{seq_cost + 24.17:.2f} rows={match} width=52) "
        f"(actual time={slow - 0.002:.3f}..{slow + 0.004:.3f} rows=20 loops=1)\n"
        "        Sort Key: created_at DESC\n"
        "        Sort Method: top-N heapsort  Memory: 27kB\n"
        f"        ->  Seq Scan on {child}  (cost=0.00..{seq_cost - 257.27:.2f} rows={match} "
        f"width=52) (actual time=0.031..{slow - 2.41:.3f} rows={match + 173} loops=1)\n"
        f"              Filter: (({owner} = {owner_id}) AND (status = 'open'::text))\n"
        f"              Rows Removed by Filter: {total - match - 173}\n"
        "Planning Time: 0.142 ms\n"
        f"Execution Time: {slow + 0.05:.3f} ms"
    )
    fast = ctx.rng.uniform(0.04, 0.2)
    idx = f"{child}_{owner}_open_created_idx"
    plan_after = (
        f"Limit  (cost=0.43..21.87 rows=20 width=52) (actual time=0.021..{fast:.3f} rows=20 "
        "loops=1)\n"
        f"  ->  Index Scan using {idx} on {child}  (cost=0.43..{match * 1.07:.2f} rows={match} "
        f"width=52) (actual time=0.020..{fast - 0.004:.3f} rows=20 loops=1)\n"
        f"        Index Cond: ({owner} = {owner_id})\n"
        "Planning Time: 0.188 ms\n"
        f"Execution Time: {fast + 0.02:.3f} ms"
    )
    qpath = f"app/queries/recent_{child}.sql"
    mpath = f"migrations/2025{ctx.rng.randint(1, 12):02d}{ctx.rng.randint(10, 28):02d}_{idx}.sql"
    v = dict(child=child, owner=owner, owner_one=owner.removesuffix("_id"), label=d.label_field)
    explain = f'psql "$DATABASE_URL" -c "EXPLAIN ANALYZE $(sed \'s/\\$1/{owner_id}/\' {qpath})"'
    return generic_flow(
        ctx,
        GenTask(
            family="sql_index",
            variant=owner,
            category=ctx.pick(("debugging", "data")),
            language="sql",
            difficulty="hard",
            summary=f"Add a partial composite index for the recent-{child} query",
            repo=repo_name(ctx, d),
            files={
                qpath: fill(_QUERY, **v),
                f"migrations/20240101_create_{child}.sql": f"CREATE TABLE {child} (\n"
                f"    id bigserial PRIMARY KEY,\n    {owner} bigint NOT NULL,\n"
                f"    {d.label_field} text NOT NULL,\n    status text NOT NULL DEFAULT 'open',\n"
                "    created_at timestamptz NOT NULL DEFAULT now()\n);\n",
            },
            changes=[(mpath, fill(_MIGRATION, **v))],
            user=(
                f"The dashboard endpoint that lists a {owner.removesuffix('_id')}'s latest open "
                f"{child} takes ~{slow / 1000:.1f}s now that the table has {total // 1_000_000}M+ "
                f"rows. Query is in `{qpath}`. Can you figure out why and fix it with a "
                "migration?"
            ),
            diagnosis=(
                f"The plan is a sequential scan over all ~{total:,} rows, discarding all but "
                f"{match + 173} with the filter, then a top-N sort. There is no index on "
                f"`{owner}` at all (only the primary key). The query filters by equality on "
                f"`{owner}` and `status = 'open'` and wants the newest 20, so a composite "
                f"index on `({owner}, created_at DESC)`, partial on `status = 'open'`, lets "
                "Postgres walk the index in order and stop after 20 rows with no sort. It "
                "must be created `CONCURRENTLY` to avoid blocking writes."
            ),
            explanation=(
                f"**Why it was slow:** no index covered `{owner}`, so every request scanned "
                f"the whole table (~{total:,} rows) and sorted the matches.\n\n**Fix:** a "
                f"partial composite index `({owner}, created_at DESC) WHERE status = 'open'`. "
                "The equality column comes first, the sort column second in the query's "
                "order, so the plan becomes an index scan that stops after 20 rows "
                f"(~{slow:.0f} ms -> ~{fast:.2f} ms). The partial predicate keeps the index "
                "small by skipping closed rows.\n\n`CREATE INDEX CONCURRENTLY` doesn't block "
                "writes but can't run inside a transaction, so make sure the migration runner "
                "executes this file outside one."
            ),
            fence_lang="sql",
            reads=(qpath,),
            symbol=owner,
            search_suffix=".sql",
            reproduce=Cmd(explain, plan_before),
            verify=(
                Cmd(f'psql "$DATABASE_URL" -f {mpath}', "CREATE INDEX"),
                Cmd(explain, plan_after),
            ),
        ),
    )


# --------------------------------------------------------------------------- window frame

_BALANCE_BUGGY = """-- Running balance per account, one row per ledger entry.
SELECT account_id,
       id,
       posted_at,
       amount,
       SUM(amount) OVER (PARTITION BY account_id ORDER BY posted_at) AS balance
FROM {{table}}
WHERE account_id = :acct
ORDER BY account_id, posted_at, id;
"""

_BALANCE = """-- Running balance per account, one row per ledger entry.
-- ROWS (not the default RANGE) so entries sharing a timestamp accumulate one by one;
-- id breaks ties so the order, and thus every intermediate balance, is deterministic.
SELECT account_id,
       id,
       posted_at,
       amount,
       SUM(amount) OVER (
           PARTITION BY account_id
           ORDER BY posted_at, id
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
       ) AS balance
FROM {{table}}
WHERE account_id = :acct
ORDER BY account_id, posted_at, id;
"""


def window_frame(ctx: Ctx) -> Draft:
    d = domain(ctx)
    table = ctx.pick(("ledger_entries", "wallet_transactions", "account_postings"))
    acct = ctx.rng.randint(10, 99)
    base = dt.datetime(2025, ctx.rng.randint(1, 12), ctx.rng.randint(1, 20), 9, 0)
    entries: list[list[object]] = []
    t = base
    for i in range(6):
        if i != 3:
            t = t + dt.timedelta(minutes=ctx.rng.randint(5, 90))
        cents = ctx.rng.choice((-1, 1, 1)) * ctx.rng.randint(500, 20000)
        entries.append([acct, 1000 + i, t.strftime("%Y-%m-%d %H:%M"), f"{cents / 100:.2f}"])

    def balances(rows_frame: bool) -> list[list[object]]:
        out: list[list[object]] = []
        for i, e in enumerate(entries):
            last = i
            if not rows_frame:  # RANGE frame: peers (same posted_at) are summed together
                last = max(j for j, x in enumerate(entries) if x[2] == e[2])
            total = sum(float(str(x[3])) for x in entries[: last + 1])
            out.append([*e, f"{total:.2f}"])
        return out

    headers = ["account_id", "id", "posted_at", "amount", "balance"]
    path = "reports/running_balance.sql"
    cmd = f'psql "$LEDGER_URL" -v acct={acct} -f {path}'
    before = psql_table(headers, balances(False))
    after = psql_table(headers, balances(True))
    tie_a, tie_b = entries[2][1], entries[3][1]
    return generic_flow(
        ctx,
        GenTask(
            family="sql_window_frame",
            variant=table,
            category="data",
            language="sql",
            difficulty="hard",
            summary="Fix running balance for entries with equal timestamps",
            repo=repo_name(ctx, d),
            files={path: fill(_BALANCE_BUGGY, table=table)},
            changes=[(path, fill(_BALANCE, table=table))],
            user=(
                f"In the running-balance report, account {acct} shows the same balance on "
                f"entries {tie_a} and {tie_b}, and it's the balance *after* both. Auditors "
                f"flagged it. Query: `{path}` (Postgres)."
            ),
            diagnosis=(
                f"Entries {tie_a} and {tie_b} share `posted_at`. With `ORDER BY` in the "
                "window and no frame clause, Postgres uses the default frame `RANGE BETWEEN "
                "UNBOUNDED PRECEDING AND CURRENT ROW`, where rows with equal sort keys are "
                "peers and are summed together, so both show the total after the pair. "
                "A `ROWS` frame accumulates row by row; adding `id` to the window's ORDER BY "
                "makes the order among ties deterministic."
            ),
            explanation=(
                "Window functions with an `ORDER BY` default to a `RANGE` frame, which "
                "treats rows with the same `posted_at` as peers and includes all of them in "
                f"each row's sum, hence the identical balances on {tie_a} and {tie_b}. The "
                "window now orders by `(posted_at, id)` and uses `ROWS BETWEEN UNBOUNDED "
                "PRECEDING AND CURRENT ROW`, so each entry adds exactly its own amount and "
                "the result is deterministic."
            ),
            fence_lang="sql",
            reads=(path,),
            reproduce=Cmd(cmd, before),
            verify=(Cmd(cmd, after),),
        ),
    )


FAMILIES = [
    Family("sql_left_join", "sql", 1, left_join),
    Family("sql_index", "sql", 1, slow_query),
    Family("sql_window_frame", "sql", 1, window_frame),
]
