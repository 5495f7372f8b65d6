"""GET /weights with 10k miners on `dfab serve`, against a trivial route on the same server.

`python -m bench.weights [--miners 10000] [--concurrency 8] [--requests 200] [--seconds 60]`
starts the loopback stack (`LocalServer`: moto server, the deployed authorizer and API
function behind template.yaml's routes), seeds N best scores the way the aggregate step
writes them, then sends a bounded load (at most `--requests` requests or `--seconds`
per scenario, `--concurrency` client threads, keep-alive sessions) and prints JSON:

- `weights`: the deployed behaviour: each request checks the ranking version (one
  GetItem) and sends the ranking the container already holds, serialized once;
- `leaderboard_page`: `GET /leaderboard?limit=100` from that same ranking;
- `weights_uncached`: `api.ranking_max_age_s = 0`: every request reads all N best scores
  from the rank index (what the first request after a change costs);
- `ping`: `GET /ping`, the trivial route (no storage), same server, same load;
- `ratios`: each scenario's p50, p99 and throughput over ping's on the same server.

Every request goes through the deployed authorizer (locally there is no API Gateway
authorizer cache, so it runs on each call; its SSM list is cached 30 s as deployed).
Loopback only; the response is checked once (N entries, highest score first).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

import boto3
import requests

from dfab.api.settings import ApiSettings
from dfab.local.server import LocalServer
from dfab.settings import Settings
from dfab.storage.best_scores import best_score_item

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _hotkey(rng: random.Random) -> str:
    return "5" + "".join(rng.choice(_B58) for _ in range(47))


def _no_task(env: Mapping[str, str]) -> int:
    raise RuntimeError("the benchmark runs no evaluation")


def _settings(ranking_max_age_s: float) -> Settings:
    """Settings with an `api` section (a subclass until `Settings` declares it itself)."""

    class BenchSettings(Settings):
        api: ApiSettings = ApiSettings(ranking_max_age_s=ranking_max_age_s)

    return BenchSettings()


def seed(server: LocalServer, miners: int) -> float:
    """N best scores, written as `raise_best_score` writes them (batches of 25)."""
    rng = random.Random(20261125)
    ddb = boto3.client("dynamodb", region_name=server.resources.region)
    table = server.resources.best_scores_table
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for i in range(miners):
        item = best_score_item(
            hotkey=_hotkey(rng),
            score=round(rng.random(), 6),
            submission_id=f"20261125T{i:06d}-{rng.getrandbits(48):012x}",
            scorer_version="1.0.0",
            completed_at=f"2026-11-25T{rng.randrange(24):02d}:{rng.randrange(60):02d}:"
            f"{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z",
        )
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25 or i == miners - 1:
            pending: dict[str, Any] = {table: batch}
            while pending:
                pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            batch = []
    return time.perf_counter() - started


def load(
    url: str, headers: dict[str, str], *, requests_max: int, seconds: float, concurrency: int
) -> dict[str, Any]:
    """Bounded closed-loop load: `concurrency` threads until the count or time runs out."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    issued = 0
    deadline = time.perf_counter() + seconds
    body_bytes = 0

    def worker() -> None:
        nonlocal issued, body_bytes
        with requests.Session() as http:
            http.trust_env = False
            while True:
                with lock:
                    if issued >= requests_max or time.perf_counter() >= deadline:
                        return
                    issued += 1
                t = time.perf_counter()
                reply = http.get(url, headers=headers, timeout=120)
                elapsed = time.perf_counter() - t
                with lock:
                    if reply.status_code == 200:
                        latencies.append(elapsed)
                        body_bytes = len(reply.content)
                    else:
                        failures.append(reply.status_code)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    if not ordered:
        raise RuntimeError(f"no successful request to {url}: {failures[:5]}")
    return {
        "requests": len(ordered),
        "errors": len(failures),
        "wall_s": round(wall, 3),
        "throughput_rps": round(len(ordered) / wall, 2),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "body_bytes": body_bytes,
    }


def run_server(
    ranking_max_age_s: float, args: argparse.Namespace, scenarios: dict[str, tuple[str, int]]
) -> dict[str, Any]:
    """One server with this cache setting, seeded; each scenario: (path, request bound)."""
    out: dict[str, Any] = {}
    settings = _settings(ranking_max_age_s)
    with LocalServer(settings, task_function=_no_task, token_cache_s=30) as srv:
        out["seed_s"] = round(seed(srv, args.miners), 2)
        headers = {"Authorization": f"Bearer {srv.weights_token}"}
        first = requests.get(f"{srv.api_url}/weights", headers=headers, timeout=300)
        first.raise_for_status()
        weights = first.json()["weights"]
        if len(weights) != args.miners or any(
            a["score"] < b["score"] for a, b in itertools.pairwise(weights)
        ):
            raise RuntimeError("GET /weights did not list every miner, highest score first")
        for name, (path, bound) in scenarios.items():
            load(f"{srv.api_url}{path}", headers, requests_max=2, seconds=30, concurrency=1)
            out[name] = load(
                f"{srv.api_url}{path}",
                headers,
                requests_max=bound,
                seconds=args.seconds,
                concurrency=args.concurrency,
            )
    return out


def _ratio(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    return {
        "p50": round(a["p50_ms"] / b["p50_ms"], 2),
        "p99": round(a["p99_ms"] / b["p99_ms"], 2),
        "throughput": round(a["throughput_rps"] / b["throughput_rps"], 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--miners", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200, help="per scenario, at most")
    parser.add_argument("--seconds", type=float, default=60.0, help="per scenario, at most")
    parser.add_argument(
        "--uncached-requests",
        type=int,
        default=16,
        help="requests of the uncached scenario (each reads every best score), at most",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DFAB_LOG_LEVEL", "ERROR")

    n = args.requests
    deployed = run_server(
        ApiSettings().ranking_max_age_s,
        args,
        {
            "weights": ("/weights", n),
            "leaderboard_page": ("/leaderboard?limit=100", n),
            "ping": ("/ping", n),
        },
    )
    uncached = run_server(
        0.0,
        args,
        {"weights_uncached": ("/weights", args.uncached_requests), "ping": ("/ping", n)},
    )
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "miners": args.miners,
        "concurrency": args.concurrency,
        "bounds": {
            "requests_per_scenario": n,
            "requests_uncached": args.uncached_requests,
            "seconds_per_scenario": args.seconds,
        },
        "seed_s": deployed["seed_s"],
        "weights": deployed["weights"],
        "leaderboard_page": deployed["leaderboard_page"],
        "ping": deployed["ping"],
        "weights_uncached": uncached["weights_uncached"],
        "ping_uncached_server": uncached["ping"],
        "ratios": {
            "weights_over_ping": _ratio(deployed["weights"], deployed["ping"]),
            "leaderboard_page_over_ping": _ratio(deployed["leaderboard_page"], deployed["ping"]),
            "weights_uncached_over_ping": _ratio(uncached["weights_uncached"], uncached["ping"]),
        },
        "ranking_max_age_s": ApiSettings().ranking_max_age_s,
    }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
