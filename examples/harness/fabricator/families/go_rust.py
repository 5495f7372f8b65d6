"""Go and Rust families: data races, error wrapping, the borrow checker, panics to Results.

Compiler and test-runner output is rendered in the exact layout `go test` and `cargo`
print, with line numbers taken from the generated source.
"""

from __future__ import annotations

from fabricator.convo import Ctx, Draft
from fabricator.families import Family
from fabricator.families._common import fill
from fabricator.flows import Cmd, GenTask, generic_flow
from fabricator.vocab import domain, repo_name


def _line_of(code: str, needle: str) -> int:
    for number, line in enumerate(code.splitlines(), start=1):
        if needle in line:
            return number
    raise ValueError(f"{needle!r} not in code")


# --------------------------------------------------------------------------- go data race

_COUNTER_BUGGY = """package stats

// Counter counts {{what}} per key. It is shared by all HTTP handlers.
type Counter struct {
	counts map[string]int
}

func NewCounter() *Counter {
	return &Counter{counts: make(map[string]int)}
}

func (c *Counter) Inc(key string) {
	c.counts[key]++
}

func (c *Counter) Get(key string) int {
	return c.counts[key]
}
"""

_COUNTER = """package stats

import "sync"

// Counter counts {{what}} per key. It is shared by all HTTP handlers, so every
// access goes through the mutex.
type Counter struct {
	mu     sync.RWMutex
	counts map[string]int
}

func NewCounter() *Counter {
	return &Counter{counts: make(map[string]int)}
}

func (c *Counter) Inc(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[key]++
}

func (c *Counter) Get(key string) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.counts[key]
}
"""

_COUNTER_TEST = """package stats

import (
	"sync"
	"testing"
)

func TestConcurrentInc(t *testing.T) {
	c := NewCounter()
	var wg sync.WaitGroup
	for i := 0; i < {{n}}; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Inc("{{key}}")
		}()
	}
	wg.Wait()
	if got := c.Get("{{key}}"); got != {{n}} {
		t.Fatalf("Get(%q) = %d, want {{n}}", "{{key}}", got)
	}
}
"""


def go_race(ctx: Ctx) -> Draft:
    d = domain(ctx)
    what = ctx.pick((f"{d.entity} views", "API calls", "failed logins", "webhook deliveries"))
    key = ctx.pick(d.words).replace(" ", "-")
    n = ctx.pick((50, 100, 200))
    repo = repo_name(ctx, d)
    mod = f"github.com/acme/{repo}"
    path = "internal/stats/counter.go"
    buggy = fill(_COUNTER_BUGGY, what=what)
    inc = _line_of(buggy, "c.counts[key]++")
    get = _line_of(buggy, "return c.counts[key]")
    g1, g2 = ctx.rng.randint(7, 30), ctx.rng.randint(31, 60)
    addr = f"0x00c0000{ctx.rng.randint(0x10000, 0xFFFFF):05x}"
    race = (
        "==================\nWARNING: DATA RACE\n"
        f"Write at {addr} by goroutine {g2}:\n"
        "  runtime.mapassign_faststr()\n      /usr/local/go/src/runtime/map_faststr.go:223 +0x0\n"
        f"  {mod}/internal/stats.(*Counter).Inc()\n      /src/{path}:{inc} +0x6e\n"
        f"  {mod}/internal/stats.TestConcurrentInc.func1()\n"
        "      /src/internal/stats/counter_test.go:15 +0x8f\n\n"
        f"Previous write at {addr} by goroutine {g1}:\n"
        "  runtime.mapassign_faststr()\n      /usr/local/go/src/runtime/map_faststr.go:223 +0x0\n"
        f"  {mod}/internal/stats.(*Counter).Inc()\n      /src/{path}:{inc} +0x6e\n"
        "==================\n"
        "--- FAIL: TestConcurrentInc (0.01s)\n"
        "    testing.go:1398: race detected during execution of test\n"
        f"FAIL\nFAIL\t{mod}/internal/stats\t0.0{ctx.rng.randint(21, 89)}s\nFAIL"
    )
    ok = f"ok  \t{mod}/internal/stats\t1.0{ctx.rng.randint(10, 99)}s"
    test_path = "internal/stats/counter_test.go"
    return generic_flow(
        ctx,
        GenTask(
            family="go_data_race",
            variant="map_counter",
            category="debugging",
            language="go",
            difficulty="medium",
            summary="Fix concurrent map writes in the stats counter",
            repo=repo,
            files={
                "go.mod": f"module {mod}\n\ngo 1.22\n",
                path: buggy,
                "internal/api/handlers.go": 'package api\n\nimport (\n\t"net/http"\n\n'
                f'\t"{mod}/internal/stats"\n)\n\nvar hits = stats.NewCounter()\n\n'
                "func Track(w http.ResponseWriter, r *http.Request) {\n"
                '\thits.Inc(r.URL.Query().Get("key"))\n\tw.WriteHeader(http.StatusNoContent)\n}\n',
            },
            changes=[
                (test_path, fill(_COUNTER_TEST, n=n, key=key)),
                (path, fill(_COUNTER, what=what)),
            ],
            user=(
                f"Production crashed twice today with `fatal error: concurrent map writes` in "
                f"the {what} counter (`{path}`). It only happens under load. Can you fix it "
                "properly and make sure it can't regress?"
            ),
            diagnosis=(
                "`Counter` wraps a plain map and every handler goroutine calls `Inc` on the "
                f"shared instance; Go maps aren't safe for concurrent writes (line {inc}) or "
                f"reads during writes (line {get}), and the runtime aborts when it detects it. "
                "I'll add a test that hammers `Inc` from many goroutines and run it with "
                "`-race`, then guard the map with a `sync.RWMutex` (reads can share the lock)."
            ),
            explanation=(
                f"`Counter` shared a plain `map` across handler goroutines. Concurrent `Inc` "
                "calls wrote to it simultaneously, which Go detects and turns into a fatal "
                "`concurrent map writes`. It now holds a `sync.RWMutex`: `Inc` takes the write "
                "lock, `Get` a read lock. The new `TestConcurrentInc` runs "
                f"{n} goroutines; under `go test -race` it reported the race before the fix "
                "and passes now. Keep `-race` in CI so this can't come back unnoticed."
            ),
            fence_lang="go",
            reads=(path, "internal/api/handlers.go") if ctx.chance(0.5) else (path,),
            symbol="c.counts",
            search_suffix=".go",
            first_try=(test_path, fill(_COUNTER_TEST, n=n, key=key)),
            first_try_check=Cmd("go test -race ./internal/stats/...", race, 1),
            first_try_note="The race detector confirms it on the first run. Now the fix.",
            verify=(Cmd("go test -race ./internal/stats/...", ok), Cmd("go vet ./...", "")),
            show=(path,),
        ),
    )


# --------------------------------------------------------------------------- go errors.Is

_STORE_BUGGY = """package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

type {{Entity}} struct {
	ID    string
	{{Label}} string
}

type Store struct{ db *sql.DB }

func (s *Store) Find{{Entity}}(ctx context.Context, id string) (*{{Entity}}, error) {
	row := s.db.QueryRowContext(ctx, `SELECT id, {{label}} FROM {{plural}} WHERE id = $1`, id)
	var x {{Entity}}
	if err := row.Scan(&x.ID, &x.{{Label}}); err != nil {
		if err == sql.ErrNoRows {
			return nil, errors.New("not found")
		}
		return nil, fmt.Errorf("find {{entity}} %s: %v", id, err)
	}
	return &x, nil
}
"""

_STORE = """package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// {{sentinel}} is returned (wrapped) when a lookup matches no row; test with errors.Is.
var {{sentinel}} = errors.New("not found")

type {{Entity}} struct {
	ID    string
	{{Label}} string
}

type Store struct{ db *sql.DB }

func (s *Store) Find{{Entity}}(ctx context.Context, id string) (*{{Entity}}, error) {
	row := s.db.QueryRowContext(ctx, `SELECT id, {{label}} FROM {{plural}} WHERE id = $1`, id)
	var x {{Entity}}
	if err := row.Scan(&x.ID, &x.{{Label}}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("{{entity}} %s: %w", id, {{sentinel}})
		}
		return nil, fmt.Errorf("find {{entity}} %s: %w", id, err)
	}
	return &x, nil
}
"""

_HANDLER_BUGGY = """package api

import (
	"encoding/json"
	"net/http"

	"{{mod}}/internal/store"
)

func (h *Handler) Get{{Entity}}(w http.ResponseWriter, r *http.Request) {
	x, err := h.store.Find{{Entity}}(r.Context(), r.PathValue("id"))
	if err != nil {
		if err.Error() == "not found" {
			http.Error(w, "{{entity}} not found", http.StatusNotFound)
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	json.NewEncoder(w).Encode(x)
}

type Handler struct{ store *store.Store }
"""

_HANDLER = """package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"{{mod}}/internal/store"
)

func (h *Handler) Get{{Entity}}(w http.ResponseWriter, r *http.Request) {
	x, err := h.store.Find{{Entity}}(r.Context(), r.PathValue("id"))
	if err != nil {
		if errors.Is(err, store.{{sentinel}}) {
			http.Error(w, "{{entity}} not found", http.StatusNotFound)
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	json.NewEncoder(w).Encode(x)
}

type Handler struct{ store *store.Store }
"""


def go_errors(ctx: Ctx) -> Draft:
    d = domain(ctx)
    ent = d.entity.title().replace("_", "")
    label = d.label_field
    v = dict(
        Entity=ent,
        entity=d.entity,
        plural=d.plural,
        label=label,
        Label=label.title().replace("_", ""),
    )
    repo = repo_name(ctx, d)
    mod = f"github.com/acme/{repo}"
    v["mod"] = mod
    v["sentinel"] = ctx.pick(("ErrNotFound", f"Err{ent}NotFound"))
    spath, hpath = "internal/store/store.go", f"internal/api/{d.plural}.go"
    test = Cmd(
        "go vet ./... && go test ./...",
        f"ok  \t{mod}/internal/api\t0.0{ctx.rng.randint(11, 99)}s\n"
        f"ok  \t{mod}/internal/store\t0.0{ctx.rng.randint(11, 99)}s",
    )
    return generic_flow(
        ctx,
        GenTask(
            family="go_errors_is",
            variant=d.entity,
            category="refactor",
            language="go",
            difficulty="medium",
            summary="Replace error string comparison with a wrapped sentinel and errors.Is",
            repo=repo,
            files={
                "go.mod": f"module {mod}\n\ngo 1.22\n",
                spath: fill(_STORE_BUGGY, **v),
                hpath: fill(_HANDLER_BUGGY, **v),
            },
            changes=[(spath, fill(_STORE, **v)), (hpath, fill(_HANDLER, **v))],
            user=(
                f"Someone wants to add context to the not-found error in `Find{ent}` "
                "(include the id), but that would break the 404 in the API handler because "
                "it compares `err.Error()` to a string. Can you refactor this the idiomatic "
                "way?"
            ),
            diagnosis=(
                "The handler matches on the error *text*, so any wrapping or rewording turns "
                f"404s into 500s. Idiomatic Go: an exported sentinel `{v['sentinel']}`, returned "
                "wrapped with `%w` (so context like the id can be added), and `errors.Is` at "
                "the call site. The other error path also uses `%v`, which drops the chain; "
                "switch it to `%w` too, and use `errors.Is` for `sql.ErrNoRows`."
            ),
            explanation=(
                f"- `store.{v['sentinel']}` is an exported sentinel; `Find"
                f"{ent}` returns it wrapped with the id (`{d.entity} <id>: not found`).\n"
                f"- The handler uses `errors.Is(err, store.{v['sentinel']})`, which sees through "
                "any amount of wrapping, so messages can change freely.\n- Unexpected "
                "database errors are wrapped with `%w` instead of `%v`, keeping the chain "
                "inspectable, and `sql.ErrNoRows` is also checked with `errors.Is`."
            ),
            fence_lang="go",
            reads=(spath, hpath),
            symbol='"not found"',
            search_suffix=".go",
            verify=(test,),
            show=(spath, hpath),
        ),
    )


# --------------------------------------------------------------------------- rust borrowck

_PRICING_BUGGY = """use std::collections::HashMap;

/// Applies `percent` off to every {{entity}} priced above `threshold` (in cents).
pub fn apply_discount(prices: &mut HashMap<String, u64>, threshold: u64, percent: u64) {
    for (sku, price) in prices.iter() {
        if *price > threshold {
            prices.insert(sku.clone(), price * (100 - percent) / 100);
        }
    }
}
"""

_PRICING = """use std::collections::HashMap;

/// Applies `percent` off to every {{entity}} priced above `threshold` (in cents).
pub fn apply_discount(prices: &mut HashMap<String, u64>, threshold: u64, percent: u64) {
    assert!(percent <= 100, "percent must be at most 100");
    for price in prices.values_mut() {
        if *price > threshold {
            *price = *price * (100 - percent) / 100;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discounts_only_above_threshold() {
        let mut prices = HashMap::from([("a".to_string(), {{hi}}), ("b".to_string(), {{lo}})]);
        apply_discount(&mut prices, {{threshold}}, {{percent}});
        assert_eq!(prices["a"], {{hi_after}});
        assert_eq!(prices["b"], {{lo}});
    }
}
"""


_STOCK_BUGGY = """use std::collections::HashMap;

/// Raises every {{entity}} stock level below `minimum` to `minimum`.
pub fn top_up(stock: &mut HashMap<String, u32>, minimum: u32) {
    for (sku, level) in stock.iter() {
        if *level < minimum {
            stock.insert(sku.clone(), minimum);
        }
    }
}
"""

_STOCK = """use std::collections::HashMap;

/// Raises every {{entity}} stock level below `minimum` to `minimum`.
pub fn top_up(stock: &mut HashMap<String, u32>, minimum: u32) {
    for level in stock.values_mut() {
        if *level < minimum {
            *level = minimum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raises_only_low_levels() {
        let mut stock = HashMap::from([("a".to_string(), {{lo}}), ("b".to_string(), {{hi}})]);
        top_up(&mut stock, {{threshold}});
        assert_eq!(stock["a"], {{threshold}});
        assert_eq!(stock["b"], {{hi}});
    }
}
"""


def rust_borrow(ctx: Ctx) -> Draft:
    d = domain(ctx)
    kind = ctx.pick(("discount", "restock"))
    if kind == "discount":
        crate, module, var = f"{d.pkg}_pricing", "pricing", "prices"
        threshold = ctx.pick((1000, 2500, 5000))
        percent = ctx.pick((10, 15, 20, 25))
        hi = threshold + ctx.rng.randint(1, 40) * 100
        lo = threshold - ctx.rng.randint(1, 9) * 100
        after_hi = hi * (100 - percent) // 100
        templates = (_PRICING_BUGGY, _PRICING)
        test_name = "discounts_only_above_threshold"
        ask = f"discount every {d.entity} above a threshold"
        extra = (
            " I also added an assertion that `percent <= 100` (otherwise `100 - percent` "
            "underflows) and a unit test."
        )
        value_type = "u64"
    else:
        crate, module, var = f"{d.pkg}_inventory", "stock", "stock"
        threshold = ctx.pick((5, 10, 25, 50))
        percent = 0
        hi, lo = threshold + ctx.rng.randint(1, 90), ctx.rng.randint(0, threshold - 1)
        after_hi = hi
        templates = (_STOCK_BUGGY, _STOCK)
        test_name = "raises_only_low_levels"
        ask = f"top up every {d.entity} whose stock is below a minimum"
        extra = " I added a unit test for both sides of the threshold."
        value_type = "u32"
    path = f"src/{module}.rs"
    v = dict(
        entity=d.entity,
        hi=hi,
        lo=lo,
        threshold=threshold,
        percent=percent,
        hi_after=after_hi,
    )
    buggy = fill(templates[0], **v)
    lines = buggy.splitlines()
    loop = _line_of(buggy, "for (sku, ")
    ins = _line_of(buggy, f"{var}.insert")
    col_loop = lines[loop - 1].index(f"{var}.iter()") + 1
    col_ins = lines[ins - 1].index(f"{var}.insert") + 1
    ins_line, loop_line = lines[ins - 1], lines[loop - 1]
    width = len(ins_line.strip())
    between = "".join(f"{n} | {lines[n - 1]}\n" for n in range(loop + 1, ins))
    pad = " " * len(str(ins))
    under = " " * (col_loop - 1)
    err = (
        f"   Compiling {crate} v0.3.1 (/src)\n"
        f"error[E0502]: cannot borrow `*{var}` as mutable because it is also borrowed as "
        "immutable\n"
        f"{pad}--> {path}:{ins}:{col_ins}\n{pad} |\n{loop} | {loop_line}\n"
        f"{pad} | {under}{'-' * len(var + '.iter()')}\n{pad} | {under}|\n"
        f"{pad} | {under}immutable borrow occurs here\n"
        f"{pad} | {under}immutable borrow later used here\n{between}"
        f"{ins} | {ins_line}\n"
        f"{pad} | {' ' * (col_ins - 1)}{'^' * width} mutable borrow occurs here\n\n"
        "For more information about this error, try `rustc --explain E0502`.\n"
        f"error: could not compile `{crate}` (lib) due to 1 previous error"
    )
    ok = (
        f"   Compiling {crate} v0.3.1 (/src)\n    Finished `test` profile [unoptimized + "
        f"debuginfo] target(s) in {ctx.rng.uniform(0.8, 3.5):.2f}s\n     Running "
        f"unittests src/lib.rs (target/debug/deps/{crate}-{ctx.rng.getrandbits(64):016x})\n\n"
        f"running 1 test\ntest {module}::tests::{test_name} ... ok\n\n"
        "test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; "
        "finished in 0.00s"
    )
    return generic_flow(
        ctx,
        GenTask(
            family="rust_borrow",
            variant=kind,
            category="debugging",
            language="rust",
            difficulty="medium",
            summary="Fix E0502 by mutating map values in place",
            repo=repo_name(ctx, d),
            files={
                "Cargo.toml": f'[package]\nname = "{crate}"\nversion = "0.3.1"\nedition = "2021"\n',
                "src/lib.rs": f"pub mod {module};\n",
                path: buggy,
            },
            changes=[(path, fill(templates[1], **v))],
            user=ctx.pick(
                (
                    f"New to Rust: I'm trying to {ask} in `{path}` but the borrow checker "
                    "refuses (E0502). Cloning the whole map feels wrong. What's the idiomatic "
                    "way?",
                    f"`cargo build` fails with E0502 in `{path}`. The loop only changes values "
                    "that are already in the map, so why is Rust complaining, and how do I "
                    "fix it without collecting keys into a Vec first?",
                )
            ),
            diagnosis=(
                f"`{var}.iter()` holds a shared borrow of the map for the whole loop, and "
                f"`{var}.insert` needs a mutable borrow while it's alive; that's exactly what "
                "E0502 forbids (inserting could reallocate the table under the iterator). "
                "Nothing new is inserted, only existing values change, so `values_mut()` "
                f"gives `&mut {value_type}` for each entry and avoids the conflict without "
                "cloning."
            ),
            explanation=(
                f"The loop iterated over `{var}.iter()` (a shared borrow) while calling "
                f"`{var}.insert` (a mutable borrow). Rust rejects that because an insert could "
                "reallocate the map under the iterator. Since only existing values change, "
                f"iterate with `values_mut()` and assign through the `&mut {value_type}`: one "
                "pass, no clones, no extra allocation." + extra
            ),
            fence_lang="rust",
            reads=(path,),
            reproduce=Cmd("cargo build", err, 101),
            verify=(Cmd("cargo test", ok),),
        ),
    )


# --------------------------------------------------------------------------- rust Result

_CONFIG_BUGGY = """pub struct Config {
    pub {{pk}}: u16,
    pub {{ck}}: usize,
}

pub fn parse_config(text: &str) -> Config {
    let mut {{pk}} = None;
    let mut {{ck}} = None;
    for line in text.lines() {
        let (key, value) = line.split_once('=').unwrap();
        match key.trim() {
            "{{pk}}" => {{pk}} = Some(value.trim().parse().unwrap()),
            "{{ck}}" => {{ck}} = Some(value.trim().parse().unwrap()),
            _ => {}
        }
    }
    Config { {{pk}}: {{pk}}.unwrap(), {{ck}}: {{ck}}.unwrap_or({{workers}}) }
}
"""

_CONFIG = """use std::fmt;

#[derive(Debug, PartialEq)]
pub struct Config {
    pub {{pk}}: u16,
    pub {{ck}}: usize,
}

#[derive(Debug, PartialEq)]
pub enum ConfigError {
    MissingEquals { line: usize },
    BadNumber { key: String, value: String },
    MissingKey(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingEquals { line } => write!(f, "line {line}: expected key = value"),
            Self::BadNumber { key, value } => write!(f, "{key}: {value:?} is not a valid number"),
            Self::MissingKey(key) => write!(f, "missing required key {key:?}"),
        }
    }
}

impl std::error::Error for ConfigError {}

fn number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ConfigError> {
    value.parse().map_err(|_| ConfigError::BadNumber {
        key: key.to_string(),
        value: value.to_string(),
    })
}

/// Parses `key = value` lines; blank lines and `#` comments are ignored.
pub fn parse_config(text: &str) -> Result<Config, ConfigError> {
    let mut {{pk}} = None;
    let mut {{ck}} = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or(ConfigError::MissingEquals { line: index + 1 })?;
        let (key, value) = (key.trim(), value.trim());
        match key {
            "{{pk}}" => {{pk}} = Some(number(key, value)?),
            "{{ck}}" => {{ck}} = Some(number(key, value)?),
            _ => {}
        }
    }
    Ok(Config {
        {{pk}}: {{pk}}.ok_or(ConfigError::MissingKey("{{pk}}"))?,
        {{ck}}: {{ck}}.unwrap_or({{workers}}),
    })
}
"""


def rust_result(ctx: Ctx) -> Draft:
    d = domain(ctx)
    crate = f"{d.pkg}-agent"
    workers = ctx.pick((2, 4, 8))
    port = ctx.pick((8080, 9000, 7070, 5050))
    pk, ck = ctx.pick(
        (("port", "workers"), ("listen_port", "max_connections"), ("http_port", "threads"))
    )
    kv = dict(workers=workers, pk=pk, ck=ck)
    path = "src/config.rs"
    buggy = fill(_CONFIG_BUGGY, **kv)
    line = _line_of(buggy, "split_once('=').unwrap()")
    col = buggy.splitlines()[line - 1].index(".unwrap()") + 2
    panic = (
        f"thread 'main' panicked at {path}:{line}:{col}:\n"
        "called `Option::unwrap()` on a `None` value\n"
        "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
    )
    conf = f"# {crate} settings\n{pk} = {port}\n\n{ck} = {workers * 2}\n"
    ok = (
        f"   Compiling {crate} v1.2.0 (/src)\n    Finished `test` profile [unoptimized + "
        f"debuginfo] target(s) in {ctx.rng.uniform(0.8, 3.5):.2f}s\n\n"
        "running 3 tests\ntest config::tests::comments_and_blank_lines ... ok\n"
        "test config::tests::bad_number_is_an_error ... ok\n"
        f"test config::tests::missing_{pk}_is_an_error ... ok\n\n"
        "test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; "
        "finished in 0.00s"
    )
    tests = f"""
#[cfg(test)]
mod tests {{
    use super::*;

    #[test]
    fn comments_and_blank_lines() {{
        let cfg = parse_config("# c\\n{pk} = {port}\\n\\n").unwrap();
        assert_eq!(cfg, Config {{ {pk}: {port}, {ck}: {workers} }});
    }}

    #[test]
    fn bad_number_is_an_error() {{
        let err = parse_config("{pk} = http").unwrap_err();
        assert_eq!(err.to_string(), "{pk}: \\"http\\" is not a valid number");
    }}

    #[test]
    fn missing_{pk}_is_an_error() {{
        assert_eq!(parse_config("{ck} = 2"), Err(ConfigError::MissingKey("{pk}")));
    }}
}}
"""
    fixed = fill(_CONFIG, **kv) + tests
    main_rs = (
        "mod config;\n\nfn main() {\n"
        '    let text = std::fs::read_to_string("agent.conf").expect("read agent.conf");\n'
        "    let cfg = config::parse_config(&text);\n"
        f'    println!("listening on :{{}}", cfg.{pk});\n}}\n'
    )
    main_fixed = (
        "mod config;\n\nuse std::process::ExitCode;\n\nfn main() -> ExitCode {\n"
        '    let text = match std::fs::read_to_string("agent.conf") {\n'
        "        Ok(text) => text,\n"
        '        Err(err) => {\n            eprintln!("cannot read agent.conf: {err}");\n'
        "            return ExitCode::FAILURE;\n        }\n    };\n"
        "    match config::parse_config(&text) {\n"
        "        Ok(cfg) => {\n"
        f'            println!("listening on :{{}}", cfg.{pk});\n'
        "            ExitCode::SUCCESS\n        }\n"
        '        Err(err) => {\n            eprintln!("agent.conf: {err}");\n'
        "            ExitCode::FAILURE\n        }\n    }\n}\n"
    )
    return generic_flow(
        ctx,
        GenTask(
            family="rust_result",
            variant=f"workers{workers}",
            category="refactor",
            language="rust",
            difficulty="medium",
            summary="Replace unwrap panics in config parsing with a typed error",
            repo=repo_name(ctx, d),
            files={
                "Cargo.toml": f'[package]\nname = "{crate}"\nversion = "1.2.0"\nedition = "2021"\n',
                "src/main.rs": main_rs,
                path: buggy,
                "agent.conf": conf,
            },
            changes=[(path, fixed), ("src/main.rs", main_fixed)],
            user=(
                f"`{crate}` panics on startup since ops added a comment and a blank line to "
                "`agent.conf`. Could you make config parsing return proper errors instead of "
                "panicking (and accept comments/blank lines)?"
            ),
            diagnosis=(
                f"Line {line} does `split_once('=').unwrap()`: the comment line has no `=`, "
                f"so it panics. The number parses and the required `{pk}` are unwrapped too. "
                "Plan: a `ConfigError` enum with `Display`, `parse_config` returning "
                "`Result<Config, ConfigError>` with `?`, skip blank and `#` lines, and make "
                "`main` report the error and exit non-zero instead of panicking."
            ),
            explanation=(
                "`parse_config` unwrapped at every step, so any unexpected line (here, a "
                "comment) panicked. It now returns `Result<Config, ConfigError>`:\n\n- "
                "blank lines and `#` comments are skipped;\n- a line without `=`, an "
                f"unparsable number, or a missing `{pk}` become `ConfigError` variants with "
                "readable `Display` messages (line numbers, key and value);\n- `main` prints "
                "the error and exits with a failure code instead of a panic backtrace.\n\n"
                "Unit tests cover comments, a bad number and a missing key."
            ),
            fence_lang="rust",
            reads=(path, "agent.conf"),
            symbol="unwrap()",
            search_suffix=".rs",
            reproduce=Cmd("cargo run --quiet", panic, 101),
            verify=(Cmd("cargo test", ok), Cmd("cargo run --quiet", f"listening on :{port}")),
            show=(path,),
        ),
    )


FAMILIES = [
    Family("go_data_race", "go", 1, go_race),
    Family("go_errors_is", "go", 1, go_errors),
    Family("rust_borrow", "rust", 1, rust_borrow),
    Family("rust_result", "rust", 1, rust_result),
]
