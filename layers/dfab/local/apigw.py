"""Serve the REST API template.yaml deploys over HTTP, the way API Gateway does.

Each request is matched against the API's `Type: Api` events (read from the template,
`dfab.local.template.read_api`); a route with a TOKEN authorizer first runs the very
authorizer function template.yaml deploys (functions/authorizer/app.py) with the event
API Gateway would build, and answers 401/403/500 with the template's gateway responses
as API Gateway would. The request then becomes a proxy event for the route's function
(functions/api/app.py), whose proxy response becomes the HTTP response. No second
router: routing inside the function stays in the Powertools resolver.

Not emulated: throttling, the authorizer result cache (every request is authorized),
payload transformations other than proxy.
"""

from __future__ import annotations

import base64
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from dfab.api.auth import allows
from dfab.local.handlers import Handler, LocalLambdaContext
from dfab.local.template import ACCOUNT, ApiRoute, DeployedApi, GatewayResponse

STAGE = "local"
API_ID = "local"
#: API Gateway's payload limit; larger requests never reach a function there either.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024


def _text_or_base64(data: bytes) -> tuple[str | None, bool]:
    if not data:
        return None, False
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), True


def proxy_event(
    request: Request,
    body: bytes,
    route: ApiRoute | None = None,
    path_params: dict[str, str] | None = None,
    authorizer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The REST API proxy event (payload format 1.0) for one HTTP request."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query = {k: v[-1] for k, v in request.args.lists()} or None
    multi_query = {k: list(v) for k, v in request.args.lists()} or None
    text, is_b64 = _text_or_base64(body)
    now = time.time()
    resource = route.path if route else request.path
    context: dict[str, Any] = {
        "accountId": ACCOUNT,
        "apiId": API_ID,
        "stage": STAGE,
        "requestId": str(uuid.uuid4()),
        "httpMethod": request.method,
        "path": f"/{STAGE}{request.path}",
        "resourcePath": resource,
        "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        "requestTimeEpoch": int(now * 1000),
        "identity": {
            "sourceIp": request.remote_addr or "127.0.0.1",
            "userAgent": request.headers.get("User-Agent", ""),
        },
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": context,
        "body": text,
        "isBase64Encoded": is_b64,
    }


def http_response(result: dict[str, Any]) -> Response:
    """The HTTP response for a proxy integration result."""
    raw = result.get("body") or ""
    data = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
    response = Response(data, status=int(result.get("statusCode", 502)))
    response.headers.clear()
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        response.headers.remove(name)
        for value in values:
            response.headers.add(name, str(value))
    return response


#: API Gateway's own answers where the template configures none (its documented defaults).
_DEFAULT_RESPONSES = {
    "UNAUTHORIZED": GatewayResponse(401, '{"message":"Unauthorized"}', {}),
    "ACCESS_DENIED": GatewayResponse(
        403,
        '{"message":"User is not authorized to access this resource with an explicit deny"}',
        {},
    ),
    "MISSING_AUTHENTICATION_TOKEN": GatewayResponse(
        403, '{"message":"Missing Authentication Token"}', {}
    ),
    "AUTHORIZER_FAILURE": GatewayResponse(500, '{"message":null}', {}),
}


def method_arn(region: str, method: str, path: str) -> str:
    """The `methodArn` API Gateway hands a TOKEN authorizer for this request."""
    return f"arn:aws:execute-api:{region}:{ACCOUNT}:{API_ID}/{STAGE}/{method}{path}"


class _Refused(Exception):
    """API Gateway answers with one of its gateway responses (the function is not called)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class ApiGatewayServer:
    """A loopback HTTP server in a thread, serving the deployed API's routes.

    Calls to one function are served one at a time, as one Lambda container serves them.
    """

    def __init__(
        self,
        api: DeployedApi,
        handlers: Mapping[str, Handler],
        host: str,
        port: int,
        *,
        region: str = "us-east-1",
    ) -> None:
        self._api = api
        self._handlers = dict(handlers)
        self._region = region
        self._locks = {name: threading.Lock() for name in self._handlers}
        self._server: BaseWSGIServer = make_server(host, port, self._wsgi, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="dfab-api", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()

    def _invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        with self._locks[function_id]:
            return self._handlers[function_id](event, LocalLambdaContext(function_name=function_id))

    def _gateway_response(self, kind: str, request_id: str) -> Response:
        answer = self._api.gateway_responses.get(kind) or _DEFAULT_RESPONSES[kind]
        body = answer.body.replace("$context.requestId", request_id)
        response = Response(body.encode("utf-8"), status=answer.status)
        response.headers.clear()
        response.headers["Content-Type"] = "application/json"
        for name, value in answer.headers.items():
            response.headers[name] = value
        return response

    def _authorize(self, route: ApiRoute, request: Request) -> dict[str, Any]:
        """Run the route's authorizer as API Gateway does; its context for the event."""
        spec = self._api.authorizers[route.authorizer or ""]
        token = request.headers.get(spec.header)
        if not token or (
            spec.validation_expression and not re.match(spec.validation_expression, token)
        ):
            raise _Refused("UNAUTHORIZED")
        arn = method_arn(self._region, route.method, route.path)
        started = time.monotonic()
        try:
            policy = self._invoke(
                spec.function_id,
                {"type": "TOKEN", "authorizationToken": token, "methodArn": arn},
            )
        except Exception as exc:
            kind = "UNAUTHORIZED" if str(exc) == "Unauthorized" else "AUTHORIZER_FAILURE"
            raise _Refused(kind) from None
        if not isinstance(policy, dict) or not allows(policy, arn):
            raise _Refused("ACCESS_DENIED")
        context = {k: str(v) for k, v in (policy.get("context") or {}).items()}
        return {
            **context,
            "principalId": str(policy.get("principalId", "")),
            "integrationLatency": int((time.monotonic() - started) * 1000),
        }

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        length = request.content_length or 0
        if length > MAX_PAYLOAD_BYTES:
            response = Response(b'{"message": "Request Too Long"}', status=413)
            return response(environ, start_response)
        body = request.get_data(cache=False)
        request_id = str(uuid.uuid4())
        try:
            found = self._api.find(request.method, request.path)
            if found is None:
                raise _Refused("MISSING_AUTHENTICATION_TOKEN")
            route, params = found
            authorizer = self._authorize(route, request) if route.authorizer else None
            event = proxy_event(request, body, route, params, authorizer)
            event["requestContext"]["requestId"] = request_id
            response = http_response(self._invoke(route.function_id, event))
        except _Refused as refused:
            response = self._gateway_response(refused.kind, request_id)
        except Exception:  # what API Gateway answers when the function itself fails
            response = Response(b'{"message": "Internal server error"}', status=502)
        return response(environ, start_response)
