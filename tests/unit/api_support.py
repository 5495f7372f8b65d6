"""Helpers for the API route tests: API Gateway REST proxy events through the real resolver."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dfab.api.auth import PRINCIPAL
from dfab.api.resolver import handle
from dfab.api.services import ApiServices
from dfab.api.settings import ApiSettings
from dfab.contracts.submission import StatusEvent, SubmissionRecord, SubmissionStatus
from dfab.intake.admission import Intake
from dfab.intake.settings import IntakeSettings
from dfab.intake.tables import INTAKE_TABLES, NONCES
from dfab.local.handlers import LocalLambdaContext
from dfab.settings import Settings
from dfab.storage.dynamo import to_item
from dfab.storage.resources import Resources

#: What API Gateway puts in requestContext.authorizer after the authorizer allowed a call.
AUTHORIZED = {"principalId": PRINCIPAL, "tokenId": "0123456789ab", "integrationLatency": 3}


def event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    body: str | None = None,
    authorizer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A REST API (payload 1.0) proxy event as API Gateway hands it to the function."""
    context: dict[str, Any] = {
        "requestId": "req-123",
        "stage": "v1",
        "httpMethod": method,
        "path": f"/v1{path}",
        "identity": {"sourceIp": "198.51.100.7"},
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", "User-Agent": "test"},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": False,
    }


@dataclass
class Reply:
    status: int
    doc: Any
    headers: dict[str, str] = field(default_factory=dict)


def call(services: ApiServices, method: str, path: str, **kw: Any) -> Reply:
    out = handle(event(method, path, **kw), LocalLambdaContext("ApiFunction"), services)
    headers = {k: v[-1] for k, v in (out.get("multiValueHeaders") or {}).items()}
    headers.update(out.get("headers") or {})
    return Reply(out["statusCode"], json.loads(out["body"]), headers)


class FakeClock:
    """Wall clock (epoch seconds) and monotonic clock in one, moved by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_services(res: Resources, api: ApiSettings | None = None, **kw: Any) -> ApiServices:
    existing = set(res.dynamodb.list_tables()["TableNames"])
    for spec in INTAKE_TABLES:
        if spec.default_name not in existing:
            res.dynamodb.create_table(**spec.create_kwargs())
    settings = Settings()
    intake = Intake(
        resources=res, settings=settings, config=IntakeSettings(), nonces_table=NONCES.default_name
    )
    return ApiServices(
        settings=settings,
        resources=res,
        intake=intake,
        api=api or ApiSettings(ranking_max_age_s=0, health_cache_s=0),
        **kw,
    )


def put_submission(
    res: Resources,
    sid: str,
    hotkey: str,
    timeline: list[tuple[SubmissionStatus, str]],
    *,
    reason: dict[str, str] | None = None,
    score: float | None = None,
) -> SubmissionRecord:
    """Write a record with a given timeline directly (as if the pipeline had run)."""
    status, updated = timeline[-1]
    record = SubmissionRecord(
        submission_id=sid,
        hotkey=hotkey,
        status=status,
        created_at=timeline[0][1],
        updated_at=updated,
        archive_key=f"uploads/{hotkey}/{sid}.zip",
        timeline=[StatusEvent(status=s, at=at) for s, at in timeline],
        reason=reason,  # type: ignore[arg-type]
        score=score,
        completed_at=updated if status == SubmissionStatus.COMPLETED else None,
    )
    res.dynamodb.put_item(
        TableName=res.submissions_table, Item=to_item(record.model_dump(mode="json", by_alias=True))
    )
    return record


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def hotkey(i: int) -> str:
    """A distinct SS58-shaped address (base58, 48 chars) for miner number `i`."""
    digits = ""
    while True:
        i, r = divmod(i, 58)
        digits = _B58[r] + digits
        if i == 0:
            break
    return "5F" + digits.rjust(46, "1")
