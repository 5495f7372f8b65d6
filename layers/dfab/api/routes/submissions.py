"""`POST /submissions` (signed request -> presigned upload) and `GET /submissions/{id}`."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from dfab.api.errors import ApiError
from dfab.api.services import ApiServices
from dfab.api.views import SubmissionView, SubmitResponse, UploadFormView
from dfab.intake.signing import SubmitRequest
from dfab.lambda_runtime import logger
from dfab.storage import objects
from dfab.storage.submissions import SubmissionNotFound, get_submission

router = APIGatewayRouter()

SUBMISSION_ID = r"^[A-Za-z0-9_-]{1,80}$"


def _services() -> ApiServices:
    return router.context["services"]


def _json(status: int, body: Any) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Cache-Control": "no-store"},
    )


@router.post(
    "/submissions",
    summary="Request an upload for a signed submission",
    operation_id="createSubmission",
    tags=["submissions"],
    responses={201: {"description": "Created: upload the archive with the presigned POST"}},
)
def create_submission(request: Annotated[SubmitRequest, Body()]) -> Response[SubmitResponse]:
    admitted = _services().intake.admit(request)
    record = admitted.record
    logger.info(
        "submission admitted",
        extra={"submission_id": record.submission_id, "hotkey": record.hotkey},
    )
    body = SubmitResponse(
        submission_id=record.submission_id,
        status=record.status,
        upload=UploadFormView.of(admitted.upload),
        status_path=f"/submissions/{record.submission_id}",
    )
    return _json(201, body)


@router.get(
    "/submissions/<submission_id>",
    summary="Status timeline and report of a submission",
    operation_id="getSubmission",
    tags=["submissions"],
)
def read_submission(
    submission_id: Annotated[str, Path(pattern=SUBMISSION_ID)],
) -> Response[SubmissionView]:
    services = _services()
    try:
        record = get_submission(services.resources, submission_id)
    except SubmissionNotFound:
        raise ApiError(404, "NOT_FOUND", f"no submission {submission_id}") from None
    report = None
    if record.status.terminal and record.report_key:
        report = objects.get_json(services.resources, record.report_key)
    return _json(200, SubmissionView.of(record, report))
