"""Serve a Lambda API handler over HTTP the way API Gateway (REST, proxy) calls it.

Each request becomes an API Gateway proxy event for the very handler template.yaml
deploys (functions/api/app.py), and its proxy response becomes the HTTP response.
No second router: routing stays in the Powertools resolver.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from dfab.local.handlers import Handler, LocalLambdaContext
from dfab.local.template import ACCOUNT

STAGE = "local"
#: API Gateway's payload limit; larger requests never reach a function there either.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024


def _text_or_base64(data: bytes) -> tuple[str | None, bool]:
    if not data:
        return None, False
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), True


def proxy_event(request: Request, body: bytes) -> dict[str, Any]:
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
    return {
        "resource": request.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
            "httpMethod": request.method,
            "path": f"/{STAGE}{request.path}",
            "resourcePath": request.path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "requestTimeEpoch": int(now * 1000),
            "identity": {
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.headers.get("User-Agent", ""),
            },
        },
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


class ApiGatewayServer:
    """A loopback HTTP server in a thread, handing each request to one Lambda handler.

    Requests are served one at a time, as one Lambda container serves them.
    """

    def __init__(self, handler: Handler, host: str, port: int) -> None:
        self._handler = handler
        self._lock = threading.Lock()
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

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        length = request.content_length or 0
        if length > MAX_PAYLOAD_BYTES:
            response = Response(b'{"message": "Request Too Long"}', status=413)
            return response(environ, start_response)
        body = request.get_data(cache=False)
        event = proxy_event(request, body)
        context = LocalLambdaContext(function_name="ApiFunction")
        try:
            with self._lock:
                result = self._handler(event, context)
            response = http_response(result)
        except Exception:  # what API Gateway answers when the function itself fails
            response = Response(b'{"message": "Internal server error"}', status=502)
        return response(environ, start_response)
