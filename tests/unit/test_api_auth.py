"""The GET /weights authorizer: bearer token -> SHA-256 -> the stored hash list.

The decision (`dfab.api.auth`), the SSM-backed list with its cache (`token_store`), and
the deployed authorizer handler itself (functions/authorizer/app.py) on moto's SSM:
refused without a token (401) and with a wrong one (403), accepted with the current
one, and a rotation keeps both tokens valid until the old hash is removed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from api_support import FakeClock
from moto import mock_aws

from conftest import ROOT
from dfab.api import auth
from dfab.api.auth import (
    BEARER_PATTERN,
    TokenListInvalid,
    Unauthorized,
    allows,
    authorize,
    parse_token_hashes,
    token_hash,
)
from dfab.api.token_store import CACHE_ENV, PARAMETER_ENV, TokenHashStore
from dfab.local.apigw import method_arn
from dfab.local.handlers import LocalLambdaContext, load_handler
from dfab.local.template import FunctionSpec

OLD = "old-token-" + "a" * 32
NEW = "new-token-" + "b" * 32
ARN = method_arn("us-east-1", "GET", "/weights")
PARAM = "/dfab/test/weights-token-hashes"


def _event(header: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "TOKEN", "methodArn": ARN}
    if header is not None:
        event["authorizationToken"] = header
    return event


# -- the decision -------------------------------------------------------------------------


def test_token_hash_is_plain_sha256_hex() -> None:
    assert token_hash(OLD) == hashlib.sha256(OLD.encode()).hexdigest()


def test_hash_list_format() -> None:
    a, b = token_hash(OLD), token_hash(NEW)
    text = f"# Platform, rotated 2026-11\nsha256:{a.upper()}, {b}  # new\n\n"
    assert parse_token_hashes(text) == {a, b}
    assert parse_token_hashes("none") == frozenset()
    assert parse_token_hashes("") == frozenset()
    with pytest.raises(TokenListInvalid, match="not SHA-256"):
        parse_token_hashes(f"{a}\n{OLD}")  # a token pasted instead of its hash
    with pytest.raises(TokenListInvalid):
        parse_token_hashes(a[:-1])


@pytest.mark.parametrize(
    "header",
    [None, "", OLD, f"bearer {OLD}", f"Bearer  {OLD}", "Bearer short", f"Basic {OLD}",
     f"Bearer {OLD} extra", "Bearer " + "x" * 600],
)  # fmt: skip
def test_missing_or_malformed_header_is_unauthorized(header: str | None) -> None:
    with pytest.raises(Unauthorized) as caught:
        authorize(_event(header), {token_hash(OLD)})
    assert str(caught.value) == "Unauthorized"  # API Gateway maps exactly this to 401


def test_wrong_token_is_an_explicit_deny_and_right_one_an_allow() -> None:
    hashes = {token_hash(OLD)}
    denied = authorize(_event(f"Bearer {NEW}"), hashes)
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert not allows(denied, ARN)
    assert "context" not in denied
    allowed = authorize(_event(f"Bearer {OLD}"), hashes)
    assert allowed["principalId"] == auth.PRINCIPAL
    assert allowed["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": ARN}
    ]
    assert allows(allowed, ARN)
    assert not allows(allowed, method_arn("us-east-1", "GET", "/leaderboard"))
    # The access log names the token by its hash prefix, never the token.
    assert allowed["context"] == {"tokenId": token_hash(OLD)[:12]}
    assert OLD not in str(allowed)
    # Nobody is admitted by an empty list.
    assert not allows(authorize(_event(f"Bearer {OLD}"), set()), ARN)


def test_bearer_pattern_is_the_templates_validation_expression() -> None:
    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    found = re.findall(r'ValidationExpression: "([^"]+)"', text)
    assert found == [BEARER_PATTERN]


# -- the list in SSM, cached ----------------------------------------------------------------


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("ssm", region_name="us-east-1")
        client.put_parameter(Name=PARAM, Value="none", Type="String")
        yield client


def _put(ssm: Any, *tokens: str, kind: str = "String") -> None:
    value = "\n".join(token_hash(t) for t in tokens) or "none"
    ssm.put_parameter(Name=PARAM, Value=value, Type=kind, Overwrite=True)


def test_store_caches_then_rereads(ssm: Any) -> None:
    clock = FakeClock(0.0)
    store = TokenHashStore(PARAM, lambda: ssm, cache_s=30, clock=clock)
    _put(ssm, OLD)
    assert store.hashes() == {token_hash(OLD)}
    _put(ssm, NEW)
    clock.now = 29.0
    assert store.hashes() == {token_hash(OLD)}  # still cached
    clock.now = 30.0
    assert store.hashes() == {token_hash(NEW)}


def test_store_reads_a_secure_string(ssm: Any) -> None:
    ssm.delete_parameter(Name=PARAM)
    _put(ssm, OLD, kind="SecureString")
    assert TokenHashStore(PARAM, lambda: ssm).hashes() == {token_hash(OLD)}


def test_store_refuses_a_broken_list(ssm: Any) -> None:
    ssm.put_parameter(Name=PARAM, Value=OLD, Type="String", Overwrite=True)
    with pytest.raises(TokenListInvalid):
        TokenHashStore(PARAM, lambda: ssm).hashes()


# -- the deployed authorizer handler, rotation ----------------------------------------------


@pytest.fixture
def authorizer(ssm: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(PARAMETER_ENV, PARAM)
    monkeypatch.setenv(CACHE_ENV, "0")
    return load_handler(
        FunctionSpec("AuthorizerFunction", ROOT / "functions" / "authorizer", "app.handler")
    )


def _verdict(handler: Any, header: str | None) -> int:
    """The status API Gateway answers for this header: 401, 403 or 200 (allowed)."""
    if header is None or not re.match(BEARER_PATTERN, header):
        return 401  # the ValidationExpression stops it before the function runs
    try:
        policy = handler(_event(header), LocalLambdaContext("AuthorizerFunction"))
    except Exception as exc:
        assert str(exc) == "Unauthorized"
        return 401
    return 200 if allows(policy, ARN) else 403


def test_authorizer_refuses_then_accepts_a_rotated_token(ssm: Any, authorizer: Any) -> None:
    _put(ssm, OLD)
    assert _verdict(authorizer, None) == 401
    assert _verdict(authorizer, "Bearer x") == 401
    assert _verdict(authorizer, f"Bearer {NEW}") == 403
    assert _verdict(authorizer, f"Bearer {OLD}") == 200
    # Rotation step 1: both hashes stored; Platform still uses the old token.
    _put(ssm, OLD, NEW)
    assert _verdict(authorizer, f"Bearer {OLD}") == 200
    assert _verdict(authorizer, f"Bearer {NEW}") == 200
    # Step 2: Platform switched; the old hash is removed.
    _put(ssm, NEW)
    assert _verdict(authorizer, f"Bearer {NEW}") == 200
    assert _verdict(authorizer, f"Bearer {OLD}") == 403
    # Emergency: "none" locks everyone out.
    _put(ssm)
    assert _verdict(authorizer, f"Bearer {NEW}") == 403
