"""Conversions between plain JSON-like values and DynamoDB attribute values."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_SER = TypeSerializer()
_DESER = TypeDeserializer()


def _to_decimals(value: Any) -> Any:
    return json.loads(json.dumps(value), parse_float=Decimal)


def _from_decimals(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_decimals(v) for v in value]
    return value


def to_item(doc: dict[str, Any]) -> dict[str, Any]:
    """A JSON document as a DynamoDB item; None values are left out."""
    clean = {k: v for k, v in _to_decimals(doc).items() if v is not None}
    return {k: _SER.serialize(v) for k, v in clean.items()}


def to_value(value: Any) -> dict[str, Any]:
    return _SER.serialize(_to_decimals(value))


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_decimals(_DESER.deserialize(v)) for k, v in item.items()}
