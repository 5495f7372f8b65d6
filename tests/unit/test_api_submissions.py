"""POST /submissions and GET /submissions/{id} through the real Powertools resolver.

Events are API Gateway REST proxy events, as the deployed API hands them to the
function; storage is moto. Every error must be `{"code", "message"}` with the status
the docs promise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from dfab import lambda_runtime
from dfab.api.resolver import handle
from dfab.api.services import ApiServices
from dfab.contracts.reasons import Reason, ReasonClass
from dfab.contracts.submission import SubmissionStatus
from dfab.intake import hotkeys
from dfab.intake.admission import Intake
from dfab.intake.client import signed_request
from dfab.intake.settings import IntakeSettings
from dfab.intake.signing import SubmitRequest
from dfab.intake.tables import INTAKE_TABLES, NONCES
from dfab.local.handlers import LocalLambdaContext, load_handler
from dfab.local.template import FunctionSpec
from dfab.pipeline.validate import reject
from dfab.settings import Settings
from dfab.storage.resources import Resources
from dfab.storage.submissions import get_submission, transition

ARCHIVE = b"PK\x05\x06" + bytes(18)


@pytest.fixture(scope="module")
def key() -> hotkeys.Hotkey:
    return hotkeys.generate()


@pytest.fixture
def res(aws: Resources) -> Iterator[Resources]:
    existing = set(aws.dynamodb.list_tables()["TableNames"])
    for spec in INTAKE_TABLES:  # unless the shared fixture already made them
        if spec.default_name not in existing:
            aws.dynamodb.create_table(**spec.create_kwargs())
    yield aws


def _services(res: Resources, **config: Any) -> ApiServices:
    settings = Settings()
    intake = Intake(
        resources=res,
        settings=settings,
        config=IntakeSettings.model_validate(config),
        nonces_table=NONCES.default_name,
    )
    return ApiServices(settings=settings, resources=res, intake=intake)


@pytest.fixture
def services(res: Resources) -> ApiServices:
    return _services(res)


def _event(method: str, path: str, body: str | None = None) -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", "User-Agent": "test"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "requestId": "req-123",
            "stage": "v1",
            "httpMethod": method,
            "path": f"/v1{path}",
            "identity": {"sourceIp": "198.51.100.7"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def _call(
    services: ApiServices, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    raw = body if isinstance(body, str) or body is None else json.dumps(body)
    out = handle(_event(method, path, raw), LocalLambdaContext("ApiFunction"), services)
    headers = {k: v[-1] for k, v in (out.get("multiValueHeaders") or {}).items()}
    headers.update(out.get("headers") or {})
    return out["statusCode"], json.loads(out["body"]), headers


def _body(key: hotkeys.Hotkey, data: bytes = ARCHIVE, **kw: Any) -> dict[str, Any]:
    return signed_request(key, data, "zip", **kw).model_dump(mode="json")


def _error(status: int, doc: dict[str, Any], code: str, expected_status: int) -> None:
    assert status == expected_status, doc
    assert set(doc) == {"code", "message"}, doc
    assert doc["code"] == code
    assert doc["message"]


# -- POST /submissions --------------------------------------------------------------------


def test_accepted_request_returns_id_and_presigned_post(
    services: ApiServices, key: hotkeys.Hotkey
) -> None:
    status, doc, headers = _call(services, "POST", "/submissions", _body(key))
    assert status == 201, doc
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    sid = doc["submission_id"]
    assert doc["status"] == "PENDING_UPLOAD"
    assert doc["status_path"] == f"/submissions/{sid}"
    upload = doc["upload"]
    assert upload["method"] == "POST"
    assert upload["key"] == f"uploads/{key.address()}/{sid}.zip"
    assert upload["fields"]["key"] == upload["key"]
    assert upload["size"] == len(ARCHIVE)
    assert services.resources.bucket in upload["url"]
    record = get_submission(services.resources, sid)
    assert record.status == SubmissionStatus.PENDING_UPLOAD
    assert record.archive_size == len(ARCHIVE)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("", None),
        ("[]", None),
        (json.dumps({"hotkey": "x"}), None),
    ],
)
def test_malformed_bodies_are_400(services: ApiServices, body: str, needle: str | None) -> None:
    status, doc, _ = _call(services, "POST", "/submissions", body)
    _error(status, doc, "BAD_REQUEST", 400)
    if needle:
        assert needle in doc["message"]


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("size", "22", "size"),
        ("timestamp", "now", "timestamp"),
        ("format", "rar", "format"),
        ("nonce", "x", "nonce"),
        ("signature", "zz", "signature"),
        ("surprise", 1, "surprise"),
    ],
)
def test_invalid_fields_name_the_field(
    services: ApiServices, key: hotkeys.Hotkey, field: str, value: Any, where: str
) -> None:
    body = {**_body(key), field: value}
    status, doc, _ = _call(services, "POST", "/submissions", body)
    _error(status, doc, "BAD_REQUEST", 400)
    assert where in doc["message"]


def test_huge_body_is_refused_before_parsing(services: ApiServices) -> None:
    status, doc, _ = _call(services, "POST", "/submissions", "x" * 20000)
    _error(status, doc, "BAD_REQUEST", 400)


def test_refusals_map_to_codes_and_statuses(
    res: Resources, key: hotkeys.Hotkey, tmp_path: Path
) -> None:
    services = _services(res, one_in_flight=False, max_submissions_per_window=2)
    forged = {**_body(key), "sha256": "0" * 64}
    _error(*_call(services, "POST", "/submissions", forged)[:2], "BAD_SIGNATURE", 401)

    stale = _body(key, now=1_000_000_000)
    _error(*_call(services, "POST", "/submissions", stale)[:2], "STALE_TIMESTAMP", 401)

    # Change the last character (to one that differs: the random key may end in "1").
    last = key.address()[-1]
    bad_address = {**_body(key), "hotkey": key.address()[:-1] + ("2" if last == "1" else "1")}
    _error(*_call(services, "POST", "/submissions", bad_address)[:2], "BAD_HOTKEY", 400)

    too_big = _body(key, b"x" * (Settings().archive.max_archive_bytes + 1))
    _error(*_call(services, "POST", "/submissions", too_big)[:2], "ARCHIVE_TOO_LARGE", 400)

    first = _body(key)
    assert _call(services, "POST", "/submissions", first)[0] == 201
    _error(*_call(services, "POST", "/submissions", first)[:2], "NONCE_REUSED", 409)

    assert _call(services, "POST", "/submissions", _body(key))[0] == 201
    status, doc, headers = _call(services, "POST", "/submissions", _body(key))
    _error(status, doc, "RATE_LIMITED", 429)
    assert 0 < int(headers["Retry-After"]) <= 86400


def test_in_flight_and_allowlist(res: Resources, key: hotkeys.Hotkey, tmp_path: Path) -> None:
    other = hotkeys.generate()
    listed = tmp_path / "registered.txt"
    listed.write_text(key.address() + "\n")
    services = _services(res, allowlist=str(listed))
    _error(*_call(services, "POST", "/submissions", _body(other))[:2], "NOT_REGISTERED", 403)
    assert _call(services, "POST", "/submissions", _body(key))[0] == 201
    _error(*_call(services, "POST", "/submissions", _body(key))[:2], "EVALUATION_IN_FLIGHT", 409)


def test_unexpected_errors_are_500_without_details(
    services: ApiServices, key: hotkeys.Hotkey, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(request: SubmitRequest) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services.intake, "admit", explode)
    status, doc, _ = _call(services, "POST", "/submissions", _body(key))
    _error(status, doc, "INTERNAL", 500)
    assert "secret" not in doc["message"] and "req-123" in doc["message"]


def test_unknown_route_is_404(services: ApiServices) -> None:
    _error(*_call(services, "GET", "/nope")[:2], "NOT_FOUND", 404)
    _error(*_call(services, "DELETE", "/submissions")[:2], "NOT_FOUND", 404)


# -- GET /submissions/{id} ----------------------------------------------------------------


def test_status_timeline_then_report_when_final(services: ApiServices, key: hotkeys.Hotkey) -> None:
    sid = _call(services, "POST", "/submissions", _body(key))[1]["submission_id"]
    status, doc, _ = _call(services, "GET", f"/submissions/{sid}")
    assert status == 200
    assert doc["status"] == "PENDING_UPLOAD" and doc["final"] is False
    assert [e["status"] for e in doc["timeline"]] == ["PENDING_UPLOAD"]
    assert doc["report"] is None
    assert doc["archive"] == {
        "sha256": get_submission(services.resources, sid).archive_sha256,
        "size": len(ARCHIVE),
    }

    res = services.resources
    transition(res, sid, SubmissionStatus.VALIDATING)
    from dfab.contracts.reasons import VerdictError

    reject(
        res,
        services.settings,
        get_submission(res, sid),
        VerdictError(ReasonClass.PATH_TRAVERSAL, "entry '../x' leaves the archive root"),
    )
    status, doc, _ = _call(services, "GET", f"/submissions/{sid}")
    assert status == 200
    assert doc["status"] == "REJECTED" and doc["final"] is True
    assert [e["status"] for e in doc["timeline"]] == ["PENDING_UPLOAD", "VALIDATING", "REJECTED"]
    assert all(e["at"].endswith("Z") for e in doc["timeline"])
    expected = Reason(
        reason_class=ReasonClass.PATH_TRAVERSAL, message="entry '../x' leaves the archive root"
    ).dump()
    assert doc["timeline"][-1]["reason"] == expected
    assert doc["reason"] == expected
    assert doc["report"]["status"] == "REJECTED"
    assert doc["report"]["score"] == 0.0
    assert doc["report"]["reason"] == expected


def test_unknown_or_malformed_id(services: ApiServices) -> None:
    _error(*_call(services, "GET", "/submissions/20990101T000000-abc")[:2], "NOT_FOUND", 404)
    _error(*_call(services, "GET", "/submissions/a.b")[:2], "BAD_REQUEST", 400)


# -- the deployed handler -----------------------------------------------------------------


def test_deployed_function_serves_the_same_routes(
    res: Resources, key: hotkeys.Hotkey, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in res.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(NONCES.env_var, NONCES.default_name)
    lambda_runtime.reset(Settings())
    try:
        handler = load_handler(
            FunctionSpec("ApiFunction", ROOT / "functions" / "api", "app.handler")
        )
        ctx = LocalLambdaContext("ApiFunction")
        out = handler(_event("POST", "/submissions", json.dumps(_body(key))), ctx)
        assert out["statusCode"] == 201, out
        sid = json.loads(out["body"])["submission_id"]
        out = handler(_event("GET", f"/submissions/{sid}"), ctx)
        assert out["statusCode"] == 200
        assert json.loads(out["body"])["submission_id"] == sid
    finally:
        lambda_runtime.reset()


def test_openapi_document_lists_the_routes() -> None:
    from dfab.api.resolver import resolver

    schema = json.loads(resolver().get_openapi_json_schema())
    assert {"/submissions", "/submissions/{submission_id}"} <= set(schema["paths"])
    assert "post" in schema["paths"]["/submissions"]
    assert "get" in schema["paths"]["/submissions/{submission_id}"]
