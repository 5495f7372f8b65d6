"""Read what `template.yaml` deploys: the state machine definition and the functions.

The local stack takes the definition file and its substitutions from the template
itself, so the order of steps exists in exactly one place.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ACCOUNT = "123456789012"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form tags as `{"Fn::X": value}`."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506


@dataclass(frozen=True)
class FunctionSpec:
    """Where a function's handler lives in this checkout.

    `code_dir` plays the part of the Lambda task root: the function's `CodeUri` for a zip
    function, the image's `DockerContext` for an image function (its Dockerfile copies the
    handlers to the same paths under the task root; tests/unit/test_packaging.py checks).
    """

    logical_id: str
    code_dir: Path
    handler: str  # "module.function", the module dotted from code_dir


@dataclass(frozen=True)
class DeployedFlow:
    """The state machine definition with local values substituted, and the functions."""

    definition: str
    functions: dict[str, FunctionSpec]
    state_machine_id: str


def _local_value(ref: str, resources: dict[str, Any], region: str) -> str:
    """A local stand-in for `!Ref X` / `!GetAtt X.Arn`, shaped like the real ARN."""
    rtype = resources.get(ref, {}).get("Type", "")
    if rtype in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
        return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{ref}"
    if rtype == "AWS::ECS::Cluster":
        return f"arn:aws:ecs:{region}:{ACCOUNT}:cluster/{ref}"
    if rtype == "AWS::ECS::TaskDefinition":
        return f"arn:aws:ecs:{region}:{ACCOUNT}:task-definition/{ref}:1"
    return f"local-{ref}"


def _resolve(value: Any, resources: dict[str, Any], region: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return _local_value(value["Ref"], resources, region)
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return _local_value(value["Fn::GetAtt"][0], resources, region)
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return re.sub(
            r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}",
            lambda m: _local_value(m.group(1), resources, region),
            value["Fn::Sub"],
        )
    raise ValueError(f"cannot resolve {value!r} locally")


def function_spec(
    root: Path, logical_id: str, resource: dict[str, Any], globals_: dict[str, Any]
) -> FunctionSpec:
    """The handler of one `AWS::Serverless::Function`, zip or container image."""
    props = resource.get("Properties", {})
    if props.get("PackageType") == "Image":
        command = (props.get("ImageConfig") or {}).get("Command") or []
        context = (resource.get("Metadata") or {}).get("DockerContext")
        if len(command) != 1 or not context:
            raise ValueError(
                f"{logical_id}: an image function needs ImageConfig.Command [handler] and "
                "Metadata.DockerContext"
            )
        return FunctionSpec(logical_id, root / context, command[0])
    handler = props.get("Handler") or globals_.get("Function", {}).get("Handler")
    if not handler or "CodeUri" not in props:
        raise ValueError(f"{logical_id}: a zip function needs CodeUri and Handler")
    return FunctionSpec(logical_id, root / props["CodeUri"], handler)


def read_flow(root: Path, region: str) -> DeployedFlow:
    template = load_template(root / "template.yaml")
    resources: dict[str, Any] = template.get("Resources", {})
    globals_ = template.get("Globals", {})
    machines = [
        (lid, r) for lid, r in resources.items() if r.get("Type") == "AWS::Serverless::StateMachine"
    ]
    if len(machines) != 1:
        raise ValueError(f"template.yaml declares {len(machines)} state machines; expected 1")
    machine_id, machine = machines[0]
    props = machine["Properties"]
    text = (root / props["DefinitionUri"]).read_text(encoding="utf-8")
    for name, value in (props.get("DefinitionSubstitutions") or {}).items():
        text = text.replace("${" + name + "}", _resolve(value, resources, region))
    leftover = re.findall(r"\$\{([A-Za-z0-9_]+)\}", text)
    if leftover:
        raise ValueError(f"definition placeholders without substitution: {sorted(set(leftover))}")
    json.loads(text)  # fail early on a broken definition
    functions = {
        lid: function_spec(root, lid, r, globals_)
        for lid, r in resources.items()
        if r.get("Type") == "AWS::Serverless::Function"
    }
    return DeployedFlow(definition=text, functions=functions, state_machine_id=machine_id)


# -- the REST API: routes, the token authorizer, gateway responses ---------------------------


@dataclass(frozen=True)
class ApiRoute:
    """One `Type: Api` event: METHOD path -> function, with its authorizer if any."""

    method: str
    path: str
    function_id: str
    authorizer: str | None = None

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters when `METHOD path` is this route (API Gateway's {name} segments)."""
        if method.upper() != self.method:
            return None
        want = self.path.strip("/").split("/")
        got = path.strip("/").split("/")
        if len(want) != len(got):
            return None
        params: dict[str, str] = {}
        for pattern, segment in zip(want, got, strict=True):
            if pattern.startswith("{") and pattern.endswith("}"):
                if not segment:
                    return None
                params[pattern[1:-1]] = segment
            elif pattern != segment:
                return None
        return params


@dataclass(frozen=True)
class TokenAuthorizer:
    """A Lambda TOKEN authorizer of the API: its function and the header it checks."""

    name: str
    function_id: str
    header: str
    validation_expression: str | None


@dataclass(frozen=True)
class GatewayResponse:
    """What API Gateway answers itself for one response type (UNAUTHORIZED, THROTTLED...)."""

    status: int
    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class DeployedApi:
    routes: tuple[ApiRoute, ...]
    authorizers: dict[str, TokenAuthorizer]
    gateway_responses: dict[str, GatewayResponse]

    def find(self, method: str, path: str) -> tuple[ApiRoute, dict[str, str]] | None:
        """The route serving `METHOD path` and its path parameters (static paths first)."""
        ordered = sorted(self.routes, key=lambda r: r.path.count("{"))
        for route in ordered:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None


def _unquote(value: str) -> str:
    """A gateway response header value: a quoted literal such as "'Bearer'"."""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else value


def _gateway_responses(props: dict[str, Any]) -> dict[str, GatewayResponse]:
    out: dict[str, GatewayResponse] = {}
    for kind, spec in (props.get("GatewayResponses") or {}).items():
        templates = spec.get("ResponseTemplates") or {}
        headers = (spec.get("ResponseParameters") or {}).get("Headers") or {}
        out[kind] = GatewayResponse(
            status=int(spec.get("StatusCode", 500)),
            body=str(templates.get("application/json", "")),
            headers={name: _unquote(str(v)) for name, v in headers.items()},
        )
    return out


def _authorizers(props: dict[str, Any]) -> dict[str, TokenAuthorizer]:
    out: dict[str, TokenAuthorizer] = {}
    for name, spec in ((props.get("Auth") or {}).get("Authorizers") or {}).items():
        if spec.get("FunctionPayloadType", "TOKEN") != "TOKEN":
            raise ValueError(f"authorizer {name}: only TOKEN authorizers run locally")
        identity = spec.get("Identity") or {}
        function = spec["FunctionArn"]
        function_id = function["Fn::GetAtt"][0] if "Fn::GetAtt" in function else function["Ref"]
        out[name] = TokenAuthorizer(
            name=name,
            function_id=function_id,
            header=identity.get("Header", "Authorization"),
            validation_expression=identity.get("ValidationExpression"),
        )
    return out


def read_api(root: Path) -> DeployedApi:
    """The one REST API template.yaml deploys, as the local API adapter serves it."""
    resources: dict[str, Any] = load_template(root / "template.yaml").get("Resources", {})
    apis = [(lid, r) for lid, r in resources.items() if r.get("Type") == "AWS::Serverless::Api"]
    if len(apis) != 1:
        raise ValueError(f"template.yaml declares {len(apis)} REST APIs; expected 1")
    api_id, api = apis[0]
    props = api.get("Properties", {})
    default = (props.get("Auth") or {}).get("DefaultAuthorizer")
    routes = []
    for lid, res in resources.items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (res["Properties"].get("Events") or {}).values():
            ev = event.get("Properties", {})
            if event.get("Type") != "Api" or ev.get("RestApiId") != {"Ref": api_id}:
                continue
            authorizer = (ev.get("Auth") or {}).get("Authorizer", default)
            routes.append(
                ApiRoute(
                    method=str(ev["Method"]).upper(),
                    path=str(ev["Path"]),
                    function_id=lid,
                    authorizer=None if authorizer in (None, "NONE") else str(authorizer),
                )
            )
    return DeployedApi(
        routes=tuple(routes),
        authorizers=_authorizers(props),
        gateway_responses=_gateway_responses(props),
    )
