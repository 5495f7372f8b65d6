"""The two tables intake uses (declared in dfab.storage.tables with the others).

NoncesTable holds used nonces and rate-limit slots (both expire by TTL);
IdempotencyTable holds Powertools idempotency records of the validate function.
"""

from __future__ import annotations

import os

from dfab.storage.tables import IDEMPOTENCY, NONCES, TableSpec

INTAKE_TABLES: tuple[TableSpec, ...] = (NONCES, IDEMPOTENCY)


def table_name(spec: TableSpec) -> str:
    """Physical name: from the environment template.yaml sets, else the local default."""
    return os.environ.get(spec.env_var) or spec.default_name
