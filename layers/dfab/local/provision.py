"""Create what template.yaml deploys, on moto: bucket, tables, state machine, queue.

Shared by the in-process stack (`dfab evaluate`) and the loopback server
(`dfab serve`), so both run against the same resources the template declares.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dfab.intake.tables import INTAKE_TABLES, table_name
from dfab.local.template import ACCOUNT, DeployedFlow
from dfab.storage.resources import Resources
from dfab.storage.tables import ALL_TABLES, BEST_SCORES, SUBMISSIONS, TableSpec

UPLOAD_PREFIX = "uploads/"
#: Mirrors UploadsQueue's redrive policy in template.yaml.
MAX_RECEIVES = 5


def _tables() -> tuple[TableSpec, ...]:
    """Every table, once (intake's may also be listed in ALL_TABLES)."""
    seen = {spec.logical_id for spec in ALL_TABLES}
    return ALL_TABLES + tuple(s for s in INTAKE_TABLES if s.logical_id not in seen)


def provision(res: Resources, flow: DeployedFlow) -> dict[str, str]:
    """Create bucket, tables and state machine; returns the handlers' environment.

    Sets `res.state_machine_arn`.
    """
    if res.region == "us-east-1":
        res.s3.create_bucket(Bucket=res.bucket)
    else:
        res.s3.create_bucket(
            Bucket=res.bucket, CreateBucketConfiguration={"LocationConstraint": res.region}
        )
    names = {
        SUBMISSIONS.logical_id: res.submissions_table,
        BEST_SCORES.logical_id: res.best_scores_table,
        **{spec.logical_id: table_name(spec) for spec in INTAKE_TABLES},
    }
    for spec in _tables():
        res.dynamodb.create_table(**spec.create_kwargs(names.get(spec.logical_id)))
    machine = res.sfn.create_state_machine(
        name=f"dfab-{flow.state_machine_id}",
        definition=flow.definition,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/dfab-local-state-machine",
    )
    res.state_machine_arn = machine["stateMachineArn"]
    env = res.environment()
    env.update({spec.env_var: names[spec.logical_id] for spec in INTAKE_TABLES})
    return env


@dataclass(frozen=True)
class UploadQueues:
    """URLs of the upload queue and its dead-letter queue."""

    url: str
    dead_letter_url: str


def provision_upload_queue(res: Resources, sqs: Any, *, visibility_s: int) -> UploadQueues:
    """S3 ObjectCreated under uploads/ -> queue (with a dead-letter queue); their URLs."""
    dlq_url = sqs.create_queue(QueueName="dfab-uploads-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName="dfab-uploads",
        Attributes={
            "VisibilityTimeout": str(visibility_s),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}
            ),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    res.s3.put_bucket_notification_configuration(
        Bucket=res.bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {"FilterRules": [{"Name": "prefix", "Value": UPLOAD_PREFIX}]}
                    },
                }
            ]
        },
    )
    return UploadQueues(url=str(queue_url), dead_letter_url=str(dlq_url))


#: Mirrors WeightsTokenHashesParameter in template.yaml (stack name "local").
TOKEN_PARAMETER = "/dfab/local/weights-token-hashes"  # noqa: S105 (a name, not a secret)


def provision_token_parameter(ssm: Any, hashes: Iterable[str]) -> str:
    """The token-hash list GET /weights is authorized against; returns its name."""
    value = "\n".join(sorted(hashes)) or "none"
    ssm.put_parameter(Name=TOKEN_PARAMETER, Value=value, Type="String", Overwrite=True)
    return TOKEN_PARAMETER
