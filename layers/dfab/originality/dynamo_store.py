"""`SimilarityStore` on DynamoDB (the SimilarityIndexTable; moto on one machine).

Writes are idempotent: set additions (`ADD` to a string set) and conditional puts that
only ever replace an occupant by an earlier one, so a retried Lambda changes nothing.
Reads use BatchGetItem (100 keys a call); writes of independent items go through a
small thread pool (boto3 clients are thread-safe).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from dfab.originality.table import DEFAULT_NAME, ENV_VAR

_BATCH_GET = 100
_CHUNK = 350 * 1024
_SINGLE = "-"
T = TypeVar("T")


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


@dataclass
class DynamoStore:
    """The protocol on one DynamoDB table with string keys `pk` and `sk`."""

    client: Any
    table: str
    workers: int = 8

    @classmethod
    def from_resources(cls, resources: Any, table: str | None = None) -> DynamoStore:
        """Table name: `table`, else `$DFAB_SIMILARITY_TABLE`, else the default name."""
        name = table or os.environ.get(ENV_VAR) or DEFAULT_NAME
        return cls(resources.dynamodb, name)

    # ------------------------------------------------------------------ helpers

    def _parallel(self, fn: Callable[[T], None], items: Sequence[T]) -> None:
        if len(items) <= 1 or self.workers <= 1:
            for item in items:
                fn(item)
            return
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            list(pool.map(fn, items))

    def _batch_get(self, keys: Sequence[tuple[str, str]], attrs: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        unique = list(dict.fromkeys(keys))
        for part in range(0, len(unique), _BATCH_GET):
            request = {
                self.table: {
                    "Keys": [
                        {"pk": {"S": pk}, "sk": {"S": sk}}
                        for pk, sk in unique[part : part + _BATCH_GET]
                    ],
                    "ProjectionExpression": attrs,
                    "ConsistentRead": True,
                }
            }
            for attempt in range(8):
                out = self.client.batch_get_item(RequestItems=request)
                found.extend(out.get("Responses", {}).get(self.table, []))
                request = out.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))
            else:
                raise RuntimeError("DynamoDB kept keys unprocessed; retry the step")
        return found

    # ------------------------------------------------------------------ member sets

    def add_members(self, pairs: Sequence[tuple[str, str]], cap: int) -> None:
        def add(pair: tuple[str, str]) -> None:
            key, member = pair
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key={"pk": {"S": key}, "sk": {"S": _SINGLE}},
                    UpdateExpression="ADD m :m",
                    ConditionExpression=(
                        "attribute_not_exists(m) OR size(m) < :cap OR contains(m, :v)"
                    ),
                    ExpressionAttributeValues={
                        ":m": {"SS": [member]},
                        ":v": {"S": member},
                        ":cap": {"N": str(cap)},
                    },
                )
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise

        self._parallel(add, list(dict.fromkeys(pairs)))

    def members(self, keys: Sequence[str]) -> dict[str, set[str]]:
        items = self._batch_get([(k, _SINGLE) for k in keys], "pk, m")
        return {i["pk"]["S"]: set(i["m"]["SS"]) for i in items if "m" in i}

    # ------------------------------------------------------------------ first occupants

    def claim_first(self, items: Mapping[str, str]) -> None:
        def claim(key: str) -> None:
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item={"pk": {"S": key}, "sk": {"S": _SINGLE}, "v": {"S": items[key]}},
                    ConditionExpression="attribute_not_exists(v) OR v > :v",
                    ExpressionAttributeValues={":v": {"S": items[key]}},
                )
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise

        self._parallel(claim, list(items))

    def firsts(self, keys: Sequence[str]) -> dict[str, str]:
        items = self._batch_get([(k, _SINGLE) for k in keys], "pk, v")
        return {i["pk"]["S"]: i["v"]["S"] for i in items if "v" in i}

    # ------------------------------------------------------------------ records

    def put_blob(self, key: str, blob: bytes) -> None:
        parts = [blob[i : i + _CHUNK] for i in range(0, len(blob), _CHUNK)] or [b""]
        for i, part in enumerate(parts):
            self.client.put_item(
                TableName=self.table,
                Item={"pk": {"S": key}, "sk": {"S": f"c#{i:04d}"}, "b": {"B": part}},
            )
        # The meta item goes last: its presence means every chunk it counts is written.
        self.client.put_item(
            TableName=self.table,
            Item={"pk": {"S": key}, "sk": {"S": "meta"}, "n": {"N": str(len(parts))}},
        )

    def get_blob(self, key: str) -> bytes | None:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": key}},
            "ConsistentRead": True,
        }
        while True:
            out = self.client.query(**kwargs)
            items.extend(out.get("Items", []))
            if "LastEvaluatedKey" not in out:
                break
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        meta = next((i for i in items if i["sk"]["S"] == "meta"), None)
        if meta is None:
            return None
        count = int(meta["n"]["N"])
        chunks = {i["sk"]["S"]: bytes(i["b"]["B"]) for i in items if i["sk"]["S"].startswith("c#")}
        return b"".join(chunks[f"c#{i:04d}"] for i in range(count))

    def put_doc(self, key: str, doc: dict[str, Any]) -> None:
        self.client.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": key},
                "sk": {"S": "doc"},
                "d": {"S": json.dumps(doc, sort_keys=True)},
            },
        )

    def get_doc(self, key: str) -> dict[str, Any] | None:
        out = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": key}, "sk": {"S": "doc"}},
            ConsistentRead=True,
        )
        item = out.get("Item")
        return json.loads(item["d"]["S"]) if item else None
