"""The OpenAPI document of the API, generated from the resolver's routes and models.

`docs/openapi.yaml` is this document; a test regenerates it and fails when the two
differ, so the published document always matches what is deployed. Regenerate with

    .venv/bin/python -m dfab.api.openapi > docs/openapi.yaml

Powertools derives paths, parameters and the response models; this module adds what
only the deployment knows: the errors every route can answer (`{"code", "message"}`,
including the ones API Gateway itself sends: 401/403 from the authorizer, 429 when
throttled), the bearer scheme of `GET /weights`, and the servers.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

import yaml
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

from dfab import __version__
from dfab.api.resolver import resolver
from dfab.api.routes.weights import OPERATION_ID, SECURITY_SCHEME
from dfab.intake.errors import RefusalCode

TITLE = "dfab API"
DESCRIPTION = (
    "The data-fabrication evaluator's HTTP API. Miners submit signed harness uploads and "
    "follow them; Platform reads every miner's best score from `GET /weights` "
    "(authenticated); validators watch `GET /health`. Every error is "
    '`{"code": STABLE_CODE, "message": human}`. Contracts: docs/contracts.md.'
)

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Error",
    "description": "Every error: a stable machine-readable code and a human message.",
    "properties": {
        "code": {"type": "string", "title": "Code", "examples": ["NOT_FOUND"]},
        "message": {"type": "string", "title": "Message"},
    },
    "required": ["code", "message"],
    "additionalProperties": False,
}

_ERRORS = {
    400: "The request is not valid (parameters, body or cursor); `message` says where",
    401: "No usable bearer token (`Authorization: Bearer <token>`)",
    403: "The bearer token is not (or no longer) accepted",
    404: "No such resource (or route)",
    429: "Throttled by API Gateway; retry after a pause",
    500: "Internal error; `message` names the request id to report",
}


def _refusals() -> dict[int, list[str]]:
    """POST /submissions: the intake refusal codes each status carries."""
    by_status: dict[int, list[str]] = {}
    for code in RefusalCode:
        by_status.setdefault(code.http_status, []).append(code.value)
    return by_status


def _error(status: int, codes: list[str] | None = None) -> dict[str, Any]:
    description = _ERRORS.get(status, "Refused")
    if codes:
        description = f"Refused: {', '.join(codes)} (docs/miner/submit.md)"
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _drop_unreferenced(doc: dict[str, Any]) -> None:
    """Remove component schemas nothing references any more (Powertools' 422 models)."""
    schemas = doc["components"]["schemas"]
    while True:
        outside = {k: v for k, v in doc.items() if k != "components"}
        used = {r.rsplit("/", 1)[-1] for r in _refs(outside)}
        used |= {r.rsplit("/", 1)[-1] for n in used if n in schemas for r in _refs(schemas[n])}
        unused = [name for name in schemas if name not in used]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def build_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document, as a plain dict (stable key order)."""
    schema = resolver().get_openapi_schema(
        title=TITLE,
        version=__version__,
        description=DESCRIPTION,
        servers=[
            Server(
                url="https://{api_id}.execute-api.{region}.amazonaws.com/{stage}",
                description="A validator's deployment (the stack's ApiUrl output)",
                variables={
                    "api_id": {"default": "example", "description": "REST API id"},
                    "region": {"default": "us-east-1"},
                    "stage": {"default": "v1", "description": "ApiStageName"},
                },
            ),
            Server(url="http://127.0.0.1:8787", description="`dfab serve` on this machine"),
        ],
        security_schemes={
            SECURITY_SCHEME: HTTPBearer(
                description="Platform's bearer token for GET /weights. The validator stores "
                "only its SHA-256 (docs/validator/operate.md, token rotation).",
            )
        },
    )
    doc: dict[str, Any] = copy.deepcopy(
        schema.model_dump(mode="json", by_alias=True, exclude_none=True)
    )
    doc["components"]["schemas"]["Error"] = ERROR_SCHEMA
    for path, operations in doc["paths"].items():
        for operation in operations.values():
            if operation.get("operationId") == OPERATION_ID:
                operation["security"] = [{SECURITY_SCHEME: []}]
            responses = operation["responses"]
            responses.pop("422", None)
            statuses = {400, 500, 429}
            if "{" in path:
                statuses.add(404)
            if operation.get("security"):
                statuses |= {401, 403}
            refusals = _refusals() if operation.get("operationId") == "createSubmission" else {}
            for status in sorted(statuses | set(refusals)):
                responses.setdefault(str(status), _error(status, refusals.get(status)))
            operation["responses"] = dict(sorted(responses.items()))
    _drop_unreferenced(doc)
    doc["paths"] = dict(sorted(doc["paths"].items()))
    doc["components"]["schemas"] = dict(sorted(doc["components"]["schemas"].items()))
    return doc


def render_yaml(doc: dict[str, Any]) -> str:
    header = (
        "# Generated from the dfab.api resolver: .venv/bin/python -m dfab.api.openapi "
        "> docs/openapi.yaml\n# tests/unit/test_openapi.py fails when this file is stale.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    sys.stdout.write(render_yaml(build_document()))
