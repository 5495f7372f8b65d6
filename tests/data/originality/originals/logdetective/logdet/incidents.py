"""Incident kinds: how each failure shows up in the logs and what the root cause is."""

import random
from dataclasses import dataclass


@dataclass
class Incident:
    kind: str
    service: str
    trigger_line: str
    noise: list
    root_cause: str
    remedy: str


SERVICES = ["checkout", "search", "auth", "notifications", "billing-worker"]


def _oom(rng, service):
    limit = rng.choice([256, 512, 1024])
    return Incident(
        "oom",
        service,
        f"kernel: Out of memory: Killed process {rng.randint(1000, 9999)} ({service}) "
        f"total-vm:{limit * 1100}kB",
        [
            f"{service}: cache size now {n} entries"
            for n in range(1000, 1000 + rng.randint(3, 6) * 900, 900)
        ],
        f"the in-process cache grows without bound until the {limit} MiB limit kills the container",
        "bound the cache (LRU with a maximum size) and alert on memory above 80% of the limit",
    )


def _pool(rng, service):
    size = rng.choice([5, 10, 20])
    return Incident(
        "pool_exhausted",
        service,
        f"{service}: sqlalchemy.exc.TimeoutError: QueuePool limit of size {size} "
        "overflow 0 reached",
        [f"{service}: slow query took {rng.uniform(2, 9):.1f}s" for _ in range(rng.randint(2, 5))],
        f"slow queries hold all {size} pooled connections, so new requests time out waiting",
        "add the missing index for the slow query and set a statement timeout",
    )


def _dns(rng, service):
    host = rng.choice(["payments.internal", "redis.cache.svc", "api.partner.example"])
    return Incident(
        "dns",
        service,
        f"{service}: getaddrinfo ENOTFOUND {host}",
        [
            f"{service}: retrying request to {host} (attempt {i})"
            for i in range(1, rng.randint(3, 6))
        ],
        f"{host} stopped resolving after the DNS record was removed during a migration",
        f"restore the record for {host} or point the service at the new name",
    )


KINDS = [_oom, _pool, _dns]


def draw(rng: random.Random) -> Incident:
    service = rng.choice(SERVICES)
    return rng.choice(KINDS)(rng, service)
