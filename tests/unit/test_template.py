"""Offline validation of template.yaml (SAM): no AWS account, no network, a few seconds.

1. cfn-lint passes (and the cfn-lint-serverless rules, when that package is installed);
2. aws-sam-translator transforms it the way `sam deploy` would after `sam package`;
3. the state-machine definition and the template agree: every ${...} placeholder has a
   substitution and vice versa, every function the definition invokes exists with a
   handler, the ECS task definition has the container "sandbox";
4. the tables match dfab.storage.tables;
5. the sandbox is locked down (no task role, read-only root, capabilities dropped, no
   internet route, endpoint policies) and IAM stays least privilege.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

# Placeholder values for the parameters without a default (what `sam deploy --guided` asks).
PARAMETERS = {
    "SandboxImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/dfab/sandbox:1.0.0"
    "@sha256:" + "0" * 64,
    "S3PrefixListId": "pl-63a5400a",
}


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation short-form tags as their long form."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


def _of_type(resources: dict[str, Any], rtype: str) -> dict[str, Any]:
    return {lid: r for lid, r in resources.items() if r["Type"] == rtype}


def _state_machine(resources: dict[str, Any]) -> dict[str, Any]:
    machines = _of_type(resources, "AWS::Serverless::StateMachine")
    assert len(machines) == 1, f"expected one state machine, found {sorted(machines)}"
    return next(iter(machines.values()))["Properties"]


def _definition_text(resources: dict[str, Any]) -> str:
    return (ROOT / _state_machine(resources)["DefinitionUri"]).read_text(encoding="utf-8")


def _ref_target(value: Any) -> str:
    """Logical id behind `!Ref X` or `!GetAtt X.Attr`."""
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return value["Fn::GetAtt"][0]
    raise AssertionError(f"expected !Ref or !GetAtt, got {value!r}")


def _statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy_document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- 1. cfn-lint ------------------------------------------------------------------------------


def _lint(**config: Any) -> list[str]:
    from cfnlint.api import lint_file

    return [str(match) for match in lint_file(TEMPLATE, config=config or None)]  # type: ignore[arg-type]


def test_cfn_lint_passes() -> None:
    # Errors and warnings; the only ignores are per resource in the template, with reasons.
    assert _lint() == []


def test_cfn_lint_serverless_rules_pass() -> None:
    pytest.importorskip("cfn_lint_serverless", reason="cfn-lint-serverless is not installed")
    assert _lint(append_rules=["cfn_lint_serverless.rules"]) == []


# -- 2. aws-sam-translator --------------------------------------------------------------------


class _ManagedPolicies:
    """Stands in for samtranslator's IAM-backed ManagedPolicyLoader (no AWS call)."""

    def load(self) -> dict[str, str]:
        return {
            "AWSLambdaBasicExecutionRole": (
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
            ),
            "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        }


def _packaged(template: dict[str, Any]) -> dict[str, Any]:
    """What `sam package` hands CloudFormation: local paths replaced by S3 locations."""
    out = copy.deepcopy(template)
    for lid, res in out["Resources"].items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::Serverless::Function" and props.get("PackageType") == "Image":
            # `sam build` sets ImageUri to the image it built, `sam package` to the pushed one.
            props["ImageUri"] = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/dfab:{lid}"
        elif res["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = f"s3://dfab-artifacts/{lid}.zip"
        elif res["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = f"s3://dfab-artifacts/{lid}.zip"
        elif res["Type"] == "AWS::Serverless::StateMachine":
            props["DefinitionUri"] = f"s3://dfab-artifacts/{lid}.asl.json"
    return out


@pytest.fixture(scope="module")
def transformed(template: dict[str, Any]) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    with pytest.MonkeyPatch.context() as mp:
        # The translator asks boto3 for a region (pseudo parameters); no request is made.
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return transform(_packaged(template), dict(PARAMETERS), _ManagedPolicies())


def test_sam_translator_transforms(transformed: dict[str, Any]) -> None:
    types = {r["Type"] for r in transformed["Resources"].values()}
    assert not [t for t in types if t.startswith("AWS::Serverless::")]
    assert "AWS::StepFunctions::StateMachine" in types
    assert "AWS::Lambda::LayerVersion" in types
    mappings = _of_type(transformed["Resources"], "AWS::Lambda::EventSourceMapping")
    assert [m["Properties"]["FunctionName"] for m in mappings.values()] == [
        {"Ref": "ValidateFunction"}
    ]
    (mapping,) = mappings.values()
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_every_role_is_least_privilege(transformed: dict[str, Any]) -> None:
    """No managed policy, no action wildcard; "*" resources only where AWS allows nothing else."""
    star_ok = {
        "ecr:GetAuthorizationToken",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
    roles = _of_type(transformed["Resources"], "AWS::IAM::Role")
    assert roles
    for lid, role in roles.items():
        props = role["Properties"]
        assert not props.get("ManagedPolicyArns"), f"{lid} has managed policies"
        for policy in props["Policies"]:
            for st in _statements(policy["PolicyDocument"]):
                actions = _as_list(st["Action"])
                assert st["Effect"] == "Allow"
                assert not [a for a in actions if "*" in a], f"{lid}: wildcard action {actions}"
                if "*" in _as_list(st["Resource"]):
                    assert set(actions) <= star_ok, f"{lid}: {actions} on '*'"


def test_functions_only_have_their_own_permissions(resources: dict[str, Any]) -> None:
    def grants(role_id: str) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for policy in resources[role_id]["Properties"]["Policies"]:
            for st in _statements(policy["PolicyDocument"]):
                for action in _as_list(st["Action"]):
                    out.setdefault(action, []).extend(_as_list(st["Resource"]))
        return out

    prefixes = {"uploads/", "tasks/", "results/"}

    def s3_prefixes(values: list[Any]) -> set[str]:
        found = set()
        for v in values:
            sub = v["Fn::Sub"]
            assert sub.startswith("${Bucket.Arn}/"), sub
            found.add(sub.removeprefix("${Bucket.Arn}/").removesuffix("*"))
        assert found <= prefixes
        return found

    validate = grants("ValidateFunctionRole")
    assert s3_prefixes(validate["s3:PutObject"]) == {"results/"}  # never uploads/
    assert validate["states:StartExecution"] == [{"Ref": "EvaluationStateMachine"}]
    assert validate["sqs:ReceiveMessage"] == [{"Fn::GetAtt": ["UploadsQueue", "Arn"]}]
    prepare = grants("PrepareTaskFunctionRole")
    assert s3_prefixes(prepare["s3:GetObject"]) == prefixes
    assert s3_prefixes(prepare["s3:PutObject"]) == {"tasks/", "results/"}
    assert s3_prefixes(prepare["s3:DeleteObject"]) == {"tasks/"}
    for lid in ("Validate", "Parse", "Score", "Aggregate", "MarkFailed"):
        assert "s3:DeleteObject" not in grants(f"{lid}FunctionRole"), lid
    for lid in _of_type(resources, "AWS::Serverless::Function"):
        role_id = _ref_target(resources[lid]["Properties"]["Role"])
        granted = grants(role_id)
        log_group = _ref_target(resources[lid]["Properties"]["LoggingConfig"]["LogGroup"])
        assert granted["logs:PutLogEvents"] == [{"Fn::GetAtt": [log_group, "Arn"]}]
        assert not any(
            a.startswith("dynamodb:") and a.endswith(("Scan", "DeleteItem")) for a in granted
        )
        if lid != "ValidateFunction":
            assert "states:StartExecution" not in granted
            # The API reads queue depths for GET /health; nothing else touches the queues.
            sqs_ok = {"sqs:GetQueueAttributes"} if lid == "ApiFunction" else set()
            assert {a for a in granted if a.startswith("sqs:")} <= sqs_ok, lid
        best_scores = {"Fn::GetAtt": ["BestScoresTable", "Arn"]}
        writes = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem")
        if lid != "AggregateFunction":
            assert not any(best_scores in granted.get(a, []) for a in writes), (
                f"{lid} may write best scores"
            )
        if lid not in ("AggregateFunction", "ApiFunction"):
            assert not any(best_scores in v for v in granted.values()), f"{lid} reads best scores"

    api = grants("ApiFunctionRole")
    assert api["dynamodb:GetItem"].count(best_scores) == 1
    assert {"Fn::Sub": "${BestScoresTable.Arn}/index/by_rank"} in api["dynamodb:Query"]
    assert {"Fn::Sub": "${SubmissionsTable.Arn}/index/by_status"} in api["dynamodb:Query"]
    assert all(
        r["Fn::Sub"].endswith(("/index/by_rank", "/index/by_hotkey", "/index/by_status"))
        for r in api["dynamodb:Query"]
    ), "the API queries indexes only"
    assert {_ref_target(r) for r in api["sqs:GetQueueAttributes"]} == {
        "UploadsQueue",
        "UploadsDeadLetterQueue",
    }
    assert api["states:ListExecutions"] == [{"Ref": "EvaluationStateMachine"}]


# -- 3. definition <-> template ---------------------------------------------------------------


def _states(definition: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every state, including those inside Parallel branches and Map iterators."""
    found = []
    for name, state in definition["States"].items():
        found.append((name, state))
        for branch in state.get("Branches", []):
            found.extend(_states(branch))
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                found.extend(_states(state[key]))
    return found


def _placeholder(value: str) -> str:
    m = re.fullmatch(r"\$\{([A-Za-z0-9_]+)\}", value)
    assert m, f"expected a lone ${{...}} placeholder, got {value!r}"
    return m.group(1)


def _has_handler(app_py: Path, name: str) -> bool:
    tree = ast.parse(app_py.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return True
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
    return False


def test_definition_placeholders_match_substitutions(resources: dict[str, Any]) -> None:
    text = _definition_text(resources)
    json.loads(text)
    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", text))
    provided = set(_state_machine(resources)["DefinitionSubstitutions"])
    assert used - provided == set(), "placeholders without a substitution"
    assert provided - used == set(), "substitutions the definition never uses"


def test_definition_targets_exist(template: dict[str, Any], resources: dict[str, Any]) -> None:
    machine = _state_machine(resources)
    subs = machine["DefinitionSubstitutions"]
    definition = json.loads(_definition_text(resources))
    invoked: set[str] = set()
    task_definitions: set[str] = set()
    for name, state in _states(definition):
        if state["Type"] != "Task":
            continue
        resource, params = state["Resource"], state.get("Parameters", {})
        if resource.startswith("arn:aws:states:::lambda:invoke"):
            fn = _ref_target(subs[_placeholder(params["FunctionName"])])
            assert resources[fn]["Type"] == "AWS::Serverless::Function", name
            invoked.add(fn)
        elif resource.startswith("arn:aws:states:::ecs:runTask"):
            td = _ref_target(subs[_placeholder(params["TaskDefinition"])])
            assert resources[td]["Type"] == "AWS::ECS::TaskDefinition", name
            task_definitions.add(td)
            cluster = _ref_target(subs[_placeholder(params["Cluster"])])
            assert resources[cluster]["Type"] == "AWS::ECS::Cluster", name
            net = params["NetworkConfiguration"]["AwsvpcConfiguration"]
            assert net["AssignPublicIp"] == "DISABLED", name
            assert params["LaunchType"] == "FARGATE", name
            for subnet in net["Subnets"]:
                assert resources[_ref_target(subs[_placeholder(subnet)])]["Type"] == (
                    "AWS::EC2::Subnet"
                )
            for group in net["SecurityGroups"]:
                assert resources[_ref_target(subs[_placeholder(group)])]["Type"] == (
                    "AWS::EC2::SecurityGroup"
                )
        else:
            pytest.fail(f"state {name}: unexpected integration {resource}")
    assert invoked, "the definition invokes no Lambda"
    assert task_definitions == {"SandboxTaskDefinition"}
    containers = resources["SandboxTaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert [c["Name"] for c in containers] == ["sandbox"]

    # The state machine may invoke exactly the functions its definition names.
    role = resources[_ref_target(machine["Role"])]["Properties"]
    (invoke,) = [
        st
        for p in role["Policies"]
        for st in _statements(p["PolicyDocument"])
        if st["Action"] == "lambda:InvokeFunction"
    ]
    assert {_ref_target(r) for r in invoke["Resource"]} == invoked


def test_every_function_has_code_with_a_handler(template: dict[str, Any]) -> None:
    from dfab.local.template import function_spec

    functions = _of_type(template["Resources"], "AWS::Serverless::Function")
    assert functions
    missing = []
    for lid, res in functions.items():
        spec = function_spec(ROOT, lid, res, template.get("Globals", {}))
        module, _, attr = spec.handler.rpartition(".")
        app = spec.code_dir / (module.replace(".", "/") + ".py")
        if not app.is_file() or not _has_handler(app, attr):
            missing.append(f"{lid}: {app.relative_to(ROOT)} with `{attr}`")
    assert missing == [], "functions without code"


def test_functions_are_zip_with_the_layer_or_pipeline_images(template: dict[str, Any]) -> None:
    # Image functions take no Runtime/Handler/Layers (Globals must not set them either);
    # zip functions run python3.11 with the core layer.
    assert not {"Runtime", "Handler", "Layers"} & set(template["Globals"]["Function"])
    for lid, res in _of_type(template["Resources"], "AWS::Serverless::Function").items():
        props = res["Properties"]
        if props.get("PackageType") == "Image":
            assert not {"Runtime", "Handler", "Layers", "CodeUri"} & set(props), lid
            assert res["Metadata"]["DockerContext"] == "."
            assert res["Metadata"]["Dockerfile"] == "functions/pipeline.Dockerfile"
        else:
            assert props["Runtime"] == "python3.11", lid
            assert props["Layers"] == [{"Ref": "CoreLayer"}], lid


# -- 4. tables --------------------------------------------------------------------------------


def _table_layout(props: dict[str, Any]) -> dict[str, Any]:
    gsis = sorted(
        (
            {k: g[k] for k in ("IndexName", "KeySchema", "Projection")}
            for g in props.get("GlobalSecondaryIndexes", [])
        ),
        key=lambda g: g["IndexName"],
    )
    return {
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": sorted(
            props["AttributeDefinitions"], key=lambda a: a["AttributeName"]
        ),
        "GlobalSecondaryIndexes": gsis,
        "BillingMode": props["BillingMode"],
    }


def test_tables_match_storage_specs(template: dict[str, Any], resources: dict[str, Any]) -> None:
    from dfab.storage.tables import ALL_TABLES

    env_holders = [template.get("Globals", {}).get("Function", {})] + [
        r["Properties"] for r in _of_type(resources, "AWS::Serverless::Function").values()
    ]
    for spec in ALL_TABLES:
        res = resources.get(spec.logical_id)
        assert res is not None, f"template.yaml has no {spec.logical_id}"
        assert res["Type"] == "AWS::DynamoDB::Table"
        props = res["Properties"]
        expected = spec.create_kwargs()
        expected.pop("TableName")
        expected.setdefault("GlobalSecondaryIndexes", [])
        assert _table_layout(props) == _table_layout(expected), spec.logical_id
        ttl = props.get("TimeToLiveSpecification")
        assert (ttl["AttributeName"] if ttl and ttl["Enabled"] else None) == spec.ttl_attribute
        for holder in env_holders:
            variables = holder.get("Environment", {}).get("Variables", {})
            if spec.env_var in variables:
                assert variables[spec.env_var] == {"Ref": spec.logical_id}, spec.env_var


def test_tables_for_later_issues(resources: dict[str, Any]) -> None:
    def keys(lid: str) -> list[tuple[str, str]]:
        return [
            (k["AttributeName"], k["KeyType"]) for k in resources[lid]["Properties"]["KeySchema"]
        ]

    assert keys("IdempotencyTable") == [("id", "HASH")]
    assert keys("NoncesTable") == [("nonce_key", "HASH")]
    assert keys("SimilarityIndexTable") == [("pk", "HASH"), ("sk", "RANGE")]
    ttl = {
        lid: resources[lid]["Properties"]["TimeToLiveSpecification"]
        for lid in ("IdempotencyTable", "NoncesTable")
    }
    assert ttl["IdempotencyTable"] == {"AttributeName": "expiration", "Enabled": True}
    assert ttl["NoncesTable"] == {"AttributeName": "expires_at", "Enabled": True}


def test_every_table_is_on_demand_recoverable_encrypted(resources: dict[str, Any]) -> None:
    tables = _of_type(resources, "AWS::DynamoDB::Table")
    assert len(tables) == 5
    for lid, res in tables.items():
        props = res["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", lid
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"] == {"SSEEnabled": True}, lid


# -- 5. sandbox, network, storage, observability ----------------------------------------------


def test_sandbox_task_definition_is_locked_down(template: dict[str, Any]) -> None:
    props = template["Resources"]["SandboxTaskDefinition"]["Properties"]
    assert "TaskRoleArn" not in props, "the sandbox task must have no task role"
    assert _ref_target(props["ExecutionRoleArn"]) == "SandboxExecutionRole"
    assert props["RequiresCompatibilities"] == ["FARGATE"]
    assert props["NetworkMode"] == "awsvpc"
    (container,) = props["ContainerDefinitions"]
    assert container["Name"] == "sandbox"
    assert container["ReadonlyRootFilesystem"] is True
    assert container.get("Privileged", False) is False
    linux = container["LinuxParameters"]
    assert linux["Capabilities"]["Drop"] == ["ALL"]
    assert not linux["Capabilities"].get("Add")
    assert linux["InitProcessEnabled"] is True
    assert {u["Name"] for u in container["Ulimits"]} >= {"nproc", "nofile"}
    user = container["User"]
    if isinstance(user, dict):  # a parameter: check its default and pattern
        param = template["Parameters"][user["Ref"]]
        assert re.fullmatch(param["AllowedPattern"], param["Default"])
        assert not re.fullmatch(param["AllowedPattern"], "0:0")
        user = param["Default"]
    assert user.split(":")[0] not in ("0", "root")
    volumes = {v["Name"]: v for v in props["Volumes"]}
    assert all("Host" not in v and "EFSVolumeConfiguration" not in v for v in volumes.values())
    mounts = {m["ContainerPath"]: m["SourceVolume"] for m in container["MountPoints"]}
    assert {"/scratch", "/tmp"} <= set(mounts)
    assert set(mounts.values()) <= set(volumes)
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    # No secret in the task definition: the presigned envelope URL comes as an override.
    env = {e["Name"]: e["Value"] for e in container.get("Environment", [])}
    assert set(env) <= {"DFAB_SCRATCH_DIR"}
    assert env.get("DFAB_SCRATCH_DIR", "/scratch") in mounts


def test_sandbox_container_name_matches_the_supervisor(resources: dict[str, Any]) -> None:
    from dfab.supervisor.envelope import CONTAINER_NAME, TASK_URL_ENV

    containers = resources["SandboxTaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert [c["Name"] for c in containers] == [CONTAINER_NAME]
    assert TASK_URL_ENV not in {e["Name"] for e in containers[0].get("Environment", [])}


def test_sandbox_execution_role_pulls_and_logs_only(resources: dict[str, Any]) -> None:
    props = resources["SandboxExecutionRole"]["Properties"]
    (trust,) = _statements(props["AssumeRolePolicyDocument"])
    assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert "ManagedPolicyArns" not in props
    actions = {
        a
        for p in props["Policies"]
        for st in _statements(p["PolicyDocument"])
        for a in _as_list(st["Action"])
    }
    assert actions == {
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }


def _evaluate(value: Any, parameters: dict[str, str]) -> Any:
    """A tiny evaluator for Ref (parameters), Fn::Select and Fn::Split."""
    if isinstance(value, dict) and "Ref" in value:
        return parameters[value["Ref"]]
    if isinstance(value, dict) and "Fn::Split" in value:
        sep, text = value["Fn::Split"]
        return _evaluate(text, parameters).split(sep)
    if isinstance(value, dict) and "Fn::Select" in value:
        index, items = value["Fn::Select"]
        return _evaluate(items, parameters)[int(index)]
    return value


@pytest.mark.parametrize(
    ("uri", "repository"),
    [
        (
            PARAMETERS["SandboxImageUri"],
            "arn:aws:ecr:us-east-1:123456789012:repository/dfab/sandbox",
        ),
        (
            "210987654321.dkr.ecr.eu-west-1.amazonaws.com/dfab-sandbox@sha256:" + "a" * 64,
            "arn:aws:ecr:eu-west-1:210987654321:repository/dfab-sandbox",
        ),
        (
            "210987654321.dkr.ecr.eu-west-1.amazonaws.com/sandbox:v1",
            "arn:aws:ecr:eu-west-1:210987654321:repository/sandbox",
        ),
    ],
)
def test_execution_role_pulls_only_the_image_repository(
    template: dict[str, Any], uri: str, repository: str
) -> None:
    assert re.fullmatch(template["Parameters"]["SandboxImageUri"]["AllowedPattern"], uri)
    props = template["Resources"]["SandboxExecutionRole"]["Properties"]
    (pull,) = [
        st
        for p in props["Policies"]
        for st in _statements(p["PolicyDocument"])
        if "ecr:BatchGetImage" in _as_list(st["Action"])
    ]
    pattern, variables = pull["Resource"]["Fn::Sub"]
    values = {"AWS::Partition": "aws"}
    values |= {k: _evaluate(v, {"SandboxImageUri": uri}) for k, v in variables.items()}
    arn = re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], pattern)
    assert arn == repository


def test_state_machine_passes_only_the_execution_role(resources: dict[str, Any]) -> None:
    role = resources[_ref_target(_state_machine(resources)["Role"])]["Properties"]
    by_action = {
        a: st
        for p in role["Policies"]
        for st in _statements(p["PolicyDocument"])
        for a in _as_list(st["Action"])
    }
    assert _ref_target(by_action["iam:PassRole"]["Resource"]) == "SandboxExecutionRole"
    assert _ref_target(by_action["ecs:RunTask"]["Resource"]) == "SandboxTaskDefinition"
    assert "*" not in _as_list(by_action["ecs:DescribeTasks"]["Resource"])
    assert by_action["events:PutRule"]["Resource"]["Fn::Sub"].endswith(
        ":rule/StepFunctionsGetEventsForECSTaskRule"
    )


def test_sandbox_network_has_no_way_out(resources: dict[str, Any]) -> None:
    for forbidden in (
        "AWS::EC2::InternetGateway",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::NatGateway",
        "AWS::EC2::EgressOnlyInternetGateway",
        "AWS::EC2::TransitGatewayAttachment",
        "AWS::EC2::VPCPeeringConnection",
        "AWS::EC2::Route",
        "AWS::EC2::EIP",
    ):
        assert not _of_type(resources, forbidden), forbidden
    for subnet in _of_type(resources, "AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False

    sandbox_sg = resources["SandboxSecurityGroup"]["Properties"]
    assert "SecurityGroupIngress" not in sandbox_sg
    for ingress in _of_type(resources, "AWS::EC2::SecurityGroupIngress").values():
        assert _ref_target(ingress["Properties"]["GroupId"]) != "SandboxSecurityGroup"
    egress = list(sandbox_sg["SecurityGroupEgress"]) + [
        r["Properties"]
        for r in _of_type(resources, "AWS::EC2::SecurityGroupEgress").values()
        if _ref_target(r["Properties"]["GroupId"]) == "SandboxSecurityGroup"
    ]
    for rule in egress:
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
        assert "CidrIp" not in rule and "CidrIpv6" not in rule
    targets = {
        "prefix-list"
        if "DestinationPrefixListId" in r
        else _ref_target(r["DestinationSecurityGroupId"])
        for r in egress
    }
    assert targets == {"prefix-list", "EndpointSecurityGroup"}

    endpoints = {
        r["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[-1]: r["Properties"]
        for r in _of_type(resources, "AWS::EC2::VPCEndpoint").values()
    }
    assert set(endpoints) == {"s3", "api", "dkr", "logs"}
    assert endpoints["s3"]["VpcEndpointType"] == "Gateway"
    for name in ("api", "dkr", "logs"):
        assert endpoints[name]["PrivateDnsEnabled"] is True
        assert [_ref_target(g) for g in endpoints[name]["SecurityGroupIds"]] == [
            "EndpointSecurityGroup"
        ]
    for props in endpoints.values():
        for st in _statements(props["PolicyDocument"]):
            assert st["Effect"] == "Allow"
            if st.get("Sid") != "EcrImageLayers":
                assert st["Condition"]["StringEquals"]["aws:PrincipalAccount"] == {
                    "Ref": "AWS::AccountId"
                }
    s3_resources = [
        r for st in _statements(endpoints["s3"]["PolicyDocument"]) for r in _as_list(st["Resource"])
    ]
    for r in s3_resources:
        sub = r["Fn::Sub"]
        assert sub.startswith("${Bucket.Arn}/") or "starport-layer-bucket" in sub, sub
    s3_actions = {
        a for st in _statements(endpoints["s3"]["PolicyDocument"]) for a in _as_list(st["Action"])
    }
    assert s3_actions <= {
        "s3:GetObject",
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
    }


def test_bucket_is_private_encrypted_and_notifies_validation(
    resources: dict[str, Any],
) -> None:
    props = resources["Bucket"]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    rules = {r.get("Prefix"): r for r in props["LifecycleConfiguration"]["Rules"]}
    assert {"uploads/", "tasks/", "results/"} <= set(rules)
    (notification,) = props["NotificationConfiguration"]["QueueConfigurations"]
    assert _ref_target(notification["Queue"]) == "UploadsQueue"
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    # The queue policy names the bucket before it exists: both must build the same name.
    policy = resources["UploadsQueuePolicy"]["Properties"]["PolicyDocument"]
    (allow,) = [st for st in _statements(policy) if st["Effect"] == "Allow"]
    source_arn = allow["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"]
    bucket_name = props["BucketName"]["Fn::Sub"]
    assert source_arn[0] == "arn:${AWS::Partition}:s3:::" + bucket_name[0]
    assert source_arn[1] == bucket_name[1]
    assert "UploadsQueuePolicy" in _as_list(resources["Bucket"]["DependsOn"])
    tls = [st for st in _statements(resources["BucketPolicy"]["Properties"]["PolicyDocument"])]
    assert any(st["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false" for st in tls)


def test_upload_queue_redrive_and_visibility(resources: dict[str, Any]) -> None:
    queue = resources["UploadsQueue"]["Properties"]
    validate = resources["ValidateFunction"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * validate["Timeout"]
    assert _ref_target(queue["RedrivePolicy"]["deadLetterTargetArn"]) == "UploadsDeadLetterQueue"
    assert 1 <= queue["RedrivePolicy"]["maxReceiveCount"] <= 10


def test_every_log_group_has_retention(resources: dict[str, Any]) -> None:
    groups = _of_type(resources, "AWS::Logs::LogGroup")
    for lid, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, lid
    for lid, fn in _of_type(resources, "AWS::Serverless::Function").items():
        assert _ref_target(fn["Properties"]["LoggingConfig"]["LogGroup"]) in groups, lid
    machine = _state_machine(resources)
    assert machine["Logging"]["Level"] == "ALL"
    (dest,) = machine["Logging"]["Destinations"]
    assert _ref_target(dest["CloudWatchLogsLogGroup"]["LogGroupArn"]) in groups
    assert machine["Tracing"] == {"Enabled": True}
    sandbox = resources["SandboxTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert sandbox["LogConfiguration"]["Options"]["awslogs-group"]["Ref"] in groups


def test_alarms_cover_failures_dlq_and_errors(resources: dict[str, Any]) -> None:
    metrics = set()
    for alarm in _of_type(resources, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        if "MetricName" in props:
            metrics.add(props["MetricName"])
        for query in props.get("Metrics", []):
            if "MetricStat" in query:
                metrics.add(query["MetricStat"]["Metric"]["MetricName"])
    assert {"ExecutionsFailed", "ApproximateNumberOfMessagesVisible", "Errors"} <= metrics


def test_dashboard_is_json_and_shows_every_alarm_and_function(resources: dict[str, Any]) -> None:
    (dashboard,) = _of_type(resources, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    refs = set(re.findall(r"\$\{([^}]+)\}", body))
    json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
    for lid in _of_type(resources, "AWS::CloudWatch::Alarm"):
        assert f"{lid}.Arn" in refs, lid
    for lid in _of_type(resources, "AWS::Serverless::Function"):
        assert lid in refs, lid


# -- 6. the HTTP API: routes, authorizer, throttling, errors API Gateway sends ---------------


def test_weights_route_has_the_token_authorizer(resources: dict[str, Any]) -> None:
    from dfab.api.auth import BEARER_PATTERN

    api = resources["Api"]["Properties"]
    auth = api["Auth"]
    assert "DefaultAuthorizer" not in auth, "public routes must stay public"
    (name,) = auth["Authorizers"]
    spec = auth["Authorizers"][name]
    assert _ref_target(spec["FunctionArn"]) == "AuthorizerFunction"
    assert spec["FunctionPayloadType"] == "TOKEN"
    assert spec["Identity"]["Header"] == "Authorization"
    assert spec["Identity"]["ValidationExpression"] == BEARER_PATTERN
    assert spec["Identity"]["ReauthorizeEvery"] == {"Ref": "WeightsAuthorizerTtl"}
    events = resources["ApiFunction"]["Properties"]["Events"]
    secured = {
        (e["Properties"]["Method"], e["Properties"]["Path"])
        for e in events.values()
        if e["Properties"].get("Auth")
    }
    assert secured == {("get", "/weights")}
    assert events["ReadWeights"]["Properties"]["Auth"] == {"Authorizer": name}


def test_authorizer_reads_only_its_parameter(resources: dict[str, Any]) -> None:
    from dfab.api.token_store import CACHE_ENV, PARAMETER_ENV

    fn = resources["AuthorizerFunction"]["Properties"]
    env = fn["Environment"]["Variables"]
    assert env[PARAMETER_ENV] == {"Ref": "WeightsTokenHashesParameter"}
    assert float(env[CACHE_ENV]) <= 60
    role = resources[_ref_target(fn["Role"])]["Properties"]
    actions: dict[str, list[Any]] = {}
    for policy in role["Policies"]:
        for st in _statements(policy["PolicyDocument"]):
            for action in _as_list(st["Action"]):
                actions.setdefault(action, []).extend(_as_list(st["Resource"]))
    assert set(actions) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "ssm:GetParameter",
    }
    (param,) = actions["ssm:GetParameter"]
    assert param["Fn::Sub"].endswith("parameter${WeightsTokenHashesParameter}")
    stored = resources["WeightsTokenHashesParameter"]["Properties"]
    assert stored["Value"] == "none", "a fresh stack admits nobody until a hash is stored"
    # No other role can read the token hashes.
    for lid, res in _of_type(resources, "AWS::IAM::Role").items():
        if lid != "AuthorizerFunctionRole":
            assert "WeightsTokenHashesParameter" not in json.dumps(res), lid


def test_gateway_errors_have_the_api_error_shape(resources: dict[str, Any]) -> None:
    responses = resources["Api"]["Properties"]["GatewayResponses"]
    expected = {
        "UNAUTHORIZED": 401,
        "ACCESS_DENIED": 403,
        "MISSING_AUTHENTICATION_TOKEN": 404,
        "THROTTLED": 429,
        "AUTHORIZER_FAILURE": 500,
        "AUTHORIZER_CONFIGURATION_ERROR": 500,
    }
    assert {k: v["StatusCode"] for k, v in responses.items()} == expected
    for kind, spec in responses.items():
        body = json.loads(spec["ResponseTemplates"]["application/json"])
        assert set(body) == {"code", "message"}, kind
        assert body["message"], kind
    assert responses["UNAUTHORIZED"]["ResponseParameters"]["Headers"]["WWW-Authenticate"] == (
        "'Bearer'"
    )


def test_weights_have_their_own_throttle_and_metrics(resources: dict[str, Any]) -> None:
    settings = {
        (m["ResourcePath"], m["HttpMethod"]): m
        for m in resources["Api"]["Properties"]["MethodSettings"]
    }
    weights = settings[("/~1weights", "GET")]
    assert weights["ThrottlingRateLimit"] == {"Ref": "WeightsThrottleRateLimit"}
    assert weights["ThrottlingBurstLimit"] == {"Ref": "WeightsThrottleBurstLimit"}
    assert weights["MetricsEnabled"] is True and weights["DataTraceEnabled"] is False
    assert all(m["DataTraceEnabled"] is False for m in settings.values()), "no bodies in logs"
    fmt = resources["Api"]["Properties"]["AccessLogSetting"]["Format"]
    assert "$context.authorizer.tokenId" in fmt and "$context.status" in fmt


def test_api_function_knows_what_health_reads(resources: dict[str, Any]) -> None:
    from dfab.api.services import DEAD_LETTER_QUEUE_ENV, UPLOADS_QUEUE_ENV
    from dfab.storage.resources import STATE_MACHINE_ENV

    env = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert env[UPLOADS_QUEUE_ENV] == {"Ref": "UploadsQueue"}
    assert env[DEAD_LETTER_QUEUE_ENV] == {"Ref": "UploadsDeadLetterQueue"}
    assert env[STATE_MACHINE_ENV] == {"Ref": "EvaluationStateMachine"}


def test_dashboard_and_alarms_cover_the_routes(resources: dict[str, Any]) -> None:
    body = resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for event in resources["ApiFunction"]["Properties"]["Events"].values():
        path = event["Properties"]["Path"]
        if path != "/ping":
            assert f'"{path}"' in body, path
    alarm = resources["WeightsAuthFailuresAlarm"]["Properties"]
    dims = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dims["Resource"] == "/weights" and dims["Method"] == "GET"


def test_sam_creates_the_authorizer_and_its_permission(transformed: dict[str, Any]) -> None:
    resources = transformed["Resources"]
    permissions = [
        r["Properties"]
        for r in _of_type(resources, "AWS::Lambda::Permission").values()
        if r["Properties"]["FunctionName"] == {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]}
    ]
    assert len(permissions) == 1
    assert permissions[0]["Principal"] == "apigateway.amazonaws.com"
    (rest_api,) = _of_type(resources, "AWS::ApiGateway::RestApi").values()
    spec = rest_api["Properties"]["Body"]
    weights = spec["paths"]["/weights"]["get"]
    (requirement,) = weights["security"]
    (scheme,) = requirement
    schemes = spec.get("securityDefinitions") or spec["components"]["securitySchemes"]
    authorizer = schemes[scheme]["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "token"
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if (path, method) != ("/weights", "get") and isinstance(op, dict):
                assert not [s for s in op.get("security", []) if scheme in s], (path, method)
    assert set(spec["x-amazon-apigateway-gateway-responses"]) >= {"UNAUTHORIZED", "ACCESS_DENIED"}
