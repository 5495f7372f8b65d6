"""A fixture giving moto DynamoDB's per-item write atomicity, for thread-race tests.

DynamoDB evaluates a condition and applies the write as one atomic step per item. moto
checks the condition and then writes in two Python steps, so threads can interleave
between them and lose an update DynamoDB never loses (the best-score race test failed
about one run in ten on moto alone, with or without our code). The local stacks apply the
same fix (`dfab.local.moto_compat.atomic_item_writes`); this fixture applies it to tests
that use moto directly. The threads still race through our logic and through every read.
"""

from __future__ import annotations

import pytest

from dfab.local.moto_compat import atomic_item_writes


@pytest.fixture
def atomic_writes() -> None:
    atomic_item_writes()  # idempotent, process-wide: it only adds DynamoDB's own guarantee
