"""`LocalServer`: the deployed stack on loopback, for `dfab serve` and end-to-end tests.

- moto in server mode (`ThreadedMotoServer` on 127.0.0.1) for S3, SQS, DynamoDB and
  Step Functions, with moto's ASL interpreter executing the deployed definition;
- every client of this process (handlers, Powertools, moto's interpreter) reaches it
  through `AWS_ENDPOINT_URL`, and Lambda/ECS calls are answered in-process by the
  same `LocalAwsRouter` hooks as `LocalStack` (moto's interpreter builds its clients
  with `boto3.client`, i.e. from the default session the hooks are installed on);
- S3 ObjectCreated -> SQS queue -> `UploadPoller` -> the deployed validate handler;
- the deployed REST API on `http://127.0.0.1:PORT` (`ApiGatewayServer`): the routes of
  template.yaml, the deployed API handler behind them (so the presigned POSTs it returns
  point at the moto server), and the deployed token authorizer in front of GET /weights,
  reading its hash list from a local SSM parameter. Unless hashes are given, a fresh
  random token is made for the server's lifetime (`weights_token`).

Nothing listens beyond loopback: moto has no authentication.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import boto3
import requests

from dfab import lambda_runtime
from dfab.api.auth import token_hash
from dfab.api.services import DEAD_LETTER_QUEUE_ENV, UPLOADS_QUEUE_ENV
from dfab.api.token_store import CACHE_ENV, PARAMETER_ENV
from dfab.local.apigw import ApiGatewayServer
from dfab.local.aws_router import LocalAwsRouter, TaskFunction
from dfab.local.deployment import deploy_flow, named_resources, run_supervisor_task
from dfab.local.env import EnvOverlay, lambda_like_environment
from dfab.local.moto_compat import apply_moto_fixes
from dfab.local.poller import UploadPoller
from dfab.local.project import project_root
from dfab.local.provision import provision_token_parameter, provision_upload_queue
from dfab.local.template import read_api
from dfab.settings import Settings

#: Credentials moto accepts; set so no real credentials are ever picked up.
_FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "dfab-local", "AWS_SECRET_ACCESS_KEY": "dfab-local"}
#: Variables that could point clients at a real account or another endpoint.
_UNSET = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_SFN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)
#: Request logs, and moto logging every failed evaluation (an expected outcome) as ERROR.
_QUIET_LOGGERS = {"werkzeug": logging.ERROR, "moto.stepfunctions.parser": logging.CRITICAL}


def _no_proxy(current: str | None) -> str:
    return ",".join(x for x in (current, "127.0.0.1,localhost,::1") if x)


class NotLoopback(ValueError):
    """The requested host is not a loopback address."""


def check_loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise NotLoopback(f"{host} is not a loopback address; the local stack has no authentication")


class LocalServer:
    """Start with `with LocalServer(settings) as server:`; `server.api_url` is the API."""

    def __init__(
        self,
        settings: Settings,
        *,
        host: str = "127.0.0.1",
        api_port: int = 0,
        moto_port: int = 0,
        root: Path | None = None,
        task_function: TaskFunction | None = None,
        retry_visibility_s: int = 30,
        weights_token_hashes: Iterable[str] | None = None,
        token_cache_s: float = 0.0,
    ) -> None:
        """`weights_token_hashes`: SHA-256 digests GET /weights accepts; None makes a fresh
        token (`self.weights_token`). `token_cache_s`: how long the authorizer keeps the
        list (deployed: 30 s; 0 here so a rotation shows at once)."""
        self.settings = settings
        self.host = check_loopback(host)
        self._api_port = api_port
        self._moto_port = moto_port
        self.root = root or project_root()
        self.resources = named_resources(settings)
        self._task_function = task_function or run_supervisor_task
        self._retry_visibility_s = retry_visibility_s
        self.weights_token: str | None = None
        if weights_token_hashes is None:
            self.weights_token = secrets.token_urlsafe(32)
            weights_token_hashes = [token_hash(self.weights_token)]
        self._token_hashes = frozenset(weights_token_hashes)
        self._token_cache_s = token_cache_s
        self._env = EnvOverlay()
        self._log_levels: dict[str, int] = {}
        self._moto: object | None = None
        self.moto_url = ""
        self.router: LocalAwsRouter | None = None
        self.poller: UploadPoller | None = None
        self._api: ApiGatewayServer | None = None

    @property
    def api_url(self) -> str:
        if self._api is None:
            raise RuntimeError("the server is not running")
        return self._api.url

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalServer:
        try:
            self.start()
        except BaseException:
            self.stop(wait=False)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop(wait=exc_type is None)

    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        for name, level in _QUIET_LOGGERS.items():
            log = logging.getLogger(name)
            self._log_levels[name] = log.level
            log.setLevel(level)
        server = ThreadedMotoServer(ip_address=self.host, port=self._moto_port, verbose=False)
        server.start()
        self._moto = server
        host, port = server.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        self._env.unset(_UNSET)
        self._env.set(
            {
                **lambda_like_environment(self.resources.region),
                **_FAKE_CREDENTIALS,
                "AWS_ENDPOINT_URL": self.moto_url,
                # moto's interpreter sends the calls our hooks don't answer to this port.
                "MOTO_PORT": str(port),
                # Loopback traffic never goes through a configured HTTP proxy.
                "NO_PROXY": _no_proxy(os.environ.get("NO_PROXY")),
                "no_proxy": _no_proxy(os.environ.get("no_proxy")),
            }
        )
        self._moto_config(execute_state_machine=True)

    def _moto_config(self, *, execute_state_machine: bool) -> None:
        """moto's documented server-mode switch for its Step Functions interpreter."""
        with requests.Session() as http:
            http.trust_env = False
            reply = http.post(
                f"{self.moto_url}/moto-api/config",
                json={"stepfunctions": {"execute_state_machine": execute_state_machine}},
                timeout=10,
            )
            reply.raise_for_status()

    def start(self) -> None:
        apply_moto_fixes()
        self._start_moto()
        region = self.resources.region
        deployment = deploy_flow(
            self.settings, self.resources, self.root, self._task_function, self._env
        )
        self.router = deployment.router
        handlers = deployment.handlers
        sqs = boto3.client("sqs", region_name=region)
        queues = provision_upload_queue(self.resources, sqs, visibility_s=self._retry_visibility_s)
        parameter = provision_token_parameter(
            boto3.client("ssm", region_name=region), self._token_hashes
        )
        # What template.yaml gives the API function and the authorizer.
        self._env.set(
            {
                UPLOADS_QUEUE_ENV: queues.url,
                DEAD_LETTER_QUEUE_ENV: queues.dead_letter_url,
                PARAMETER_ENV: parameter,
                CACHE_ENV: str(self._token_cache_s),
            }
        )
        self.poller = UploadPoller(sqs, queues.url, handlers["ValidateFunction"], region=region)
        self.poller.start()
        self._api = ApiGatewayServer(
            read_api(self.root), handlers, self.host, self._api_port, region=region
        )
        self._api.start()

    def set_weights_token_hashes(self, hashes: Iterable[str]) -> None:
        """Replace the accepted token hashes (what `aws ssm put-parameter` does deployed)."""
        provision_token_parameter(
            boto3.client("ssm", region_name=self.resources.region), frozenset(hashes)
        )

    def stop(self, *, wait: bool = True) -> None:
        """Stop accepting work, let running sandbox tasks end (if `wait`), tear down.

        Idempotent: a second call finds nothing left to stop.
        """
        if self._api is not None:
            self._api.stop()
            self._api = None
        if self.poller is not None:
            self.poller.stop()
            self.poller = None
        if self.router is not None:
            self.router.close(wait=wait)
            self.router = None
        lambda_runtime.reset()
        if self._moto is not None:
            try:
                self._moto_config(execute_state_machine=False)
                with requests.Session() as http:
                    http.trust_env = False
                    http.post(f"{self.moto_url}/moto-api/reset", timeout=10)
            except requests.RequestException:
                pass  # tearing down anyway
            self._moto.stop()  # type: ignore[attr-defined]
            self._moto = None
        boto3.DEFAULT_SESSION = None
        self._env.restore()
        for name, level in self._log_levels.items():
            logging.getLogger(name).setLevel(level)
        self._log_levels.clear()
