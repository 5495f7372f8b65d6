"""DynamoDB table definitions shared by the local stack and checked against template.yaml.

`template.yaml` declares the same tables for AWS; a test asserts both agree, so the
local stack never drifts from what is deployed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TableSpec:
    """Key schema of one table: logical name, env var holding its physical name, keys."""

    logical_id: str
    env_var: str
    default_name: str
    partition_key: str
    sort_key: str | None = None
    ttl_attribute: str | None = None
    #: index name -> (partition key, sort key)
    global_indexes: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def create_kwargs(self, name: str | None = None) -> dict[str, Any]:
        """`create_table` arguments (on-demand billing) for moto or a fresh account."""
        attrs = {self.partition_key}
        keys = [{"AttributeName": self.partition_key, "KeyType": "HASH"}]
        if self.sort_key:
            attrs.add(self.sort_key)
            keys.append({"AttributeName": self.sort_key, "KeyType": "RANGE"})
        gsis = []
        for index, (pk, sk) in sorted(self.global_indexes.items()):
            attrs.add(pk)
            schema = [{"AttributeName": pk, "KeyType": "HASH"}]
            if sk:
                attrs.add(sk)
                schema.append({"AttributeName": sk, "KeyType": "RANGE"})
            gsis.append(
                {"IndexName": index, "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}}
            )
        kwargs: dict[str, Any] = {
            "TableName": name or self.default_name,
            "KeySchema": keys,
            "AttributeDefinitions": [
                {"AttributeName": a, "AttributeType": "S"} for a in sorted(attrs)
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if gsis:
            kwargs["GlobalSecondaryIndexes"] = gsis
        return kwargs


SUBMISSIONS = TableSpec(
    logical_id="SubmissionsTable",
    env_var="DFAB_SUBMISSIONS_TABLE",
    default_name="dfab-submissions",
    partition_key="submission_id",
    global_indexes={
        # A miner's submissions, newest first (intake's one-in-flight check, GET /miners).
        "by_hotkey": ("hotkey", "created_at"),
        # Submissions in one status by last change (GET /health counts and timelines).
        "by_status": ("status", "updated_at"),
    },
)
BEST_SCORES = TableSpec(
    logical_id="BestScoresTable",
    env_var="DFAB_BEST_SCORES_TABLE",
    default_name="dfab-best-scores",
    partition_key="hotkey",
    # Every best score in rank order (GET /weights, GET /leaderboard): one constant
    # partition `board`, sort key `rank_key` (dfab.storage.best_scores.rank_key).
    global_indexes={"by_rank": ("board", "rank_key")},
)

NONCES = TableSpec(
    logical_id="NoncesTable",
    env_var="DFAB_NONCES_TABLE",
    default_name="dfab-nonces",
    partition_key="nonce_key",
    ttl_attribute="expires_at",
)
IDEMPOTENCY = TableSpec(
    logical_id="IdempotencyTable",
    env_var="DFAB_IDEMPOTENCY_TABLE",
    default_name="dfab-idempotency",
    partition_key="id",
    ttl_attribute="expiration",
)

#: Harness and dataset originality indexes (layout: dfab.originality.table).
SIMILARITY_INDEX = TableSpec(
    logical_id="SimilarityIndexTable",
    env_var="DFAB_SIMILARITY_TABLE",
    default_name="dfab-similarity",
    partition_key="pk",
    sort_key="sk",
)

ALL_TABLES: tuple[TableSpec, ...] = (
    SUBMISSIONS,
    BEST_SCORES,
    NONCES,
    IDEMPOTENCY,
    SIMILARITY_INDEX,
)
