"""docs/openapi.yaml against the implementation.

- it is a valid OpenAPI 3.1 document and exactly what `python -m dfab.api.openapi` makes;
- the resolver's routes, the document's operations and template.yaml's API events are
  the same set (nothing undocumented, nothing documented that is not served or deployed);
- real responses of every route (successes and errors) validate against the schema the
  document gives for their status code.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import yaml
from api_support import AUTHORIZED, call, hotkey, make_services, put_submission
from openapi_spec_validator import validate

from conftest import ROOT
from dfab import SCORER_VERSION
from dfab.api.openapi import build_document, render_yaml
from dfab.api.resolver import resolver
from dfab.api.services import ApiServices
from dfab.contracts.submission import SubmissionStatus
from dfab.intake import hotkeys
from dfab.intake.client import signed_request
from dfab.local.template import read_api
from dfab.storage.best_scores import raise_best_score
from dfab.storage.resources import Resources

DOC_PATH = ROOT / "docs" / "openapi.yaml"
METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return yaml.safe_load(DOC_PATH.read_text(encoding="utf-8"))


def test_document_is_valid_openapi(doc: dict[str, Any]) -> None:
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_document_is_current() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render_yaml(build_document()), (
        "docs/openapi.yaml is stale: .venv/bin/python -m dfab.api.openapi > docs/openapi.yaml"
    )


def _resolver_routes() -> set[tuple[str, str]]:
    app = resolver()
    routes = list(app._static_routes) + list(app._dynamic_routes)  # Powertools' route table
    return {(r.method.upper(), r.openapi_path) for r in routes}


def test_routes_documented_deployed_and_served_are_the_same(doc: dict[str, Any]) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in doc["paths"].items()
        for method in operations
        if method in METHODS
    }
    deployed = {(r.method, r.path) for r in read_api(ROOT).routes}
    served = _resolver_routes()
    assert documented == served, "document <-> resolver"
    assert deployed == served, "template.yaml <-> resolver"


def test_only_weights_is_secured(doc: dict[str, Any]) -> None:
    secured = {
        (method.upper(), path)
        for path, operations in doc["paths"].items()
        for method, op in operations.items()
        if op.get("security")
    }
    assert secured == {("GET", "/weights")}
    assert doc["components"]["securitySchemes"]["platformToken"]["scheme"] == "bearer"
    authorized = {(r.method, r.path) for r in read_api(ROOT).routes if r.authorizer}
    assert authorized == secured


def test_every_documented_error_is_the_error_shape(doc: dict[str, Any]) -> None:
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)


# -- sample calls validate against the documented schemas ---------------------------------


def _schema_for(doc: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    op = doc["paths"][path][method.lower()]
    assert str(status) in op["responses"], f"{method} {path} answered undocumented {status}"
    schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
    return {**schema, "components": doc["components"]}


def _check(doc: dict[str, Any], method: str, template: str, status: int, body: Any) -> None:
    jsonschema.Draft202012Validator(_schema_for(doc, method, template, status)).validate(body)


@pytest.fixture
def services(aws: Resources) -> ApiServices:
    res = aws
    done = "2026-11-25T10:00:00.000Z"
    for i in range(3):
        put_submission(res, f"s{i}", hotkey(i), [
            (SubmissionStatus.PENDING_UPLOAD, done), (SubmissionStatus.VALIDATING, done),
            (SubmissionStatus.QUEUED, done), (SubmissionStatus.COMPLETED, done),
        ], score=0.5 + i / 10)  # fmt: skip
        raise_best_score(res, hotkey=hotkey(i), score=0.5 + i / 10, submission_id=f"s{i}",
                         scorer_version=SCORER_VERSION, completed_at=done)  # fmt: skip
    put_submission(res, "f1", hotkey(5), [(SubmissionStatus.FAILED, done)],
                   reason={"class": "HARNESS_EXIT", "message": "exit 1"}, score=0.0)  # fmt: skip
    return make_services(res)


def test_sample_responses_match_the_document(doc: dict[str, Any], services: ApiServices) -> None:
    key = hotkeys.generate()
    body = signed_request(key, b"PK\x05\x06" + bytes(18), "zip").model_dump_json()
    samples: list[tuple[str, str, str, dict[str, Any], int]] = [
        ("GET", "/weights", "/weights", {"authorizer": AUTHORIZED}, 200),
        ("GET", "/weights", "/weights", {}, 401),
        ("GET", "/leaderboard", "/leaderboard", {"query": {"limit": "2"}}, 200),
        ("GET", "/leaderboard", "/leaderboard", {"query": {"cursor": "bad"}}, 400),
        ("GET", f"/miners/{hotkey(1)}", "/miners/{hotkey}", {}, 200),
        ("GET", f"/miners/{hotkey(5)}", "/miners/{hotkey}", {}, 200),
        ("GET", f"/miners/{hotkey(9)}", "/miners/{hotkey}", {}, 404),
        ("GET", "/health", "/health", {}, 200),
        ("GET", "/ping", "/ping", {}, 200),
        ("GET", "/submissions/s1", "/submissions/{submission_id}", {}, 200),
        ("GET", "/submissions/f1", "/submissions/{submission_id}", {}, 200),
        ("GET", "/submissions/nope", "/submissions/{submission_id}", {}, 404),
        ("POST", "/submissions", "/submissions", {"body": body}, 201),
        ("POST", "/submissions", "/submissions", {"body": body}, 409),  # nonce reused
        ("POST", "/submissions", "/submissions", {"body": "{}"}, 400),
    ]
    for method, path, template, kw, status in samples:
        reply = call(services, method, path, **kw)
        assert reply.status == status, (method, path, reply.doc)
        _check(doc, method, template, status, reply.doc)
    # The validation is real: a §4 document missing a field is refused.
    weights = call(services, "GET", "/weights", authorizer=AUTHORIZED).doc
    del weights["weights"][0]["submission_id"]
    with pytest.raises(jsonschema.ValidationError):
        _check(doc, "GET", "/weights", 200, weights)
