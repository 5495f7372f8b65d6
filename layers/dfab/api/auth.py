"""Who may read `GET /weights`: a bearer token whose SHA-256 is in the token-hash list.

Only hashes are stored (SSM on AWS, a local parameter under `dfab serve`), so reading
the list reveals no token. The list may hold several hashes at once: rotation adds the
new token's hash, switches Platform over, then removes the old one
(docs/validator/operate.md). This module is the decision only; the Lambda authorizer
(`functions/authorizer/app.py`) and the local API adapter both call `authorize`.

API Gateway semantics, kept by both callers: a missing or malformed `Authorization`
header is 401 (the authorizer raises `Unauthorized`), a well-formed but unknown token is
403 (an explicit Deny policy), a known one is an Allow policy for the called method.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: The header's shape; template.yaml's authorizer ValidationExpression is this very
#: pattern (a test keeps them equal), so API Gateway refuses other shapes with 401
#: before invoking the authorizer. Tokens are URL-safe or base64 text, 16-512 chars.
BEARER_PATTERN = r"^Bearer [A-Za-z0-9._~+/-]{16,512}=*$"
_BEARER = re.compile(BEARER_PATTERN)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
#: What a hash list may hold instead of hashes: nobody is allowed (the stack's default).
_NONE_MARKERS = frozenset({"", "none", "-"})
#: The principal API Gateway passes on to the API function (`requestContext.authorizer`).
PRINCIPAL = "platform"


class Unauthorized(Exception):
    """No usable bearer token: API Gateway answers 401 when an authorizer raises this.

    The message must be exactly "Unauthorized" for API Gateway to map it to 401.
    """

    def __init__(self) -> None:
        super().__init__("Unauthorized")


class TokenListInvalid(ValueError):
    """The stored hash list holds entries that are not SHA-256 hex digests."""


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored for a token (what `dfab serve` and the docs compute)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_token_hashes(text: str) -> frozenset[str]:
    """Hashes from the stored list: separated by commas, spaces or new lines.

    Each entry is 64 hex digits, optionally prefixed `sha256:`; `#` starts a comment
    that runs to the end of its line. `none` (the stack's default) or an empty list
    admits nobody. Any other entry is refused as a whole, so a typo during rotation is
    noticed at once instead of silently locking one token out.
    """
    found: set[str] = set()
    bad: list[str] = []
    for line in text.splitlines():
        for entry in re.split(r"[\s,]+", line.split("#", 1)[0]):
            value = entry.strip().lower().removeprefix("sha256:")
            if value in _NONE_MARKERS:
                continue
            if _HEX64.match(value):
                found.add(value)
            else:
                bad.append(entry[:12] + ("..." if len(entry) > 12 else ""))
    if bad:
        raise TokenListInvalid(
            f"the token-hash list has {len(bad)} entries that are not SHA-256 hex digests "
            f"(first: {bad[0]!r})"
        )
    return frozenset(found)


def bearer_token(header: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header; Unauthorized otherwise."""
    if not header or not _BEARER.match(header):
        raise Unauthorized()
    return header[len("Bearer ") :]


def matching_hash(token: str, hashes: Iterable[str]) -> str | None:
    """The stored hash the token matches, compared in constant time against every entry."""
    digest = token_hash(token)
    match = None
    for stored in hashes:
        if hmac.compare_digest(digest, stored):
            match = stored
    return match


@dataclass(frozen=True)
class Decision:
    """An authorizer's answer: Allow for the known token, else Deny."""

    allowed: bool
    #: First 12 hex digits of the matched hash: names the token in access logs (so a
    #: rotation can be watched), reveals nothing about it.
    token_id: str | None = None

    def policy(self, method_arn: str) -> dict[str, Any]:
        """The IAM policy document API Gateway expects from a TOKEN authorizer."""
        doc: dict[str, Any] = {
            "principalId": PRINCIPAL,
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow" if self.allowed else "Deny",
                        "Resource": method_arn,
                    }
                ],
            },
        }
        if self.token_id:
            doc["context"] = {"tokenId": self.token_id}
        return doc


def decide(header: str | None, hashes: Iterable[str]) -> Decision:
    """Unauthorized (401) without a well-formed bearer token; else Allow or Deny (403)."""
    matched = matching_hash(bearer_token(header), hashes)
    return Decision(allowed=matched is not None, token_id=matched[:12] if matched else None)


def authorize(event: dict[str, Any], hashes: Iterable[str]) -> dict[str, Any]:
    """Answer one API Gateway TOKEN authorizer event (`authorizationToken`, `methodArn`)."""
    decision = decide(event.get("authorizationToken"), hashes)
    return decision.policy(str(event.get("methodArn", "")))


def allows(policy: dict[str, Any], method_arn: str) -> bool:
    """True when an authorizer policy allows calling `method_arn` (API Gateway's check).

    An explicit Deny wins; otherwise an Allow statement must cover the method (`*` in a
    resource matches any characters, as in IAM).
    """
    statements = policy.get("policyDocument", {}).get("Statement", [])
    allowed = False
    for st in statements if isinstance(statements, list) else [statements]:
        actions = st.get("Action")
        if "execute-api:Invoke" not in (actions if isinstance(actions, list) else [actions]):
            continue
        resources = st.get("Resource")
        for resource in resources if isinstance(resources, list) else [resources]:
            if fnmatch.fnmatchcase(method_arn, str(resource)):
                if st.get("Effect") == "Deny":
                    return False
                allowed = allowed or st.get("Effect") == "Allow"
    return allowed
