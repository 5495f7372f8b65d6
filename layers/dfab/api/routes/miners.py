"""`GET /miners/{hotkey}`: one miner's best score and its submissions, newest first."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from dfab.api.cursor import encode_cursor
from dfab.api.errors import ApiError
from dfab.api.paging import CursorQuery, PageRequest, limit_query
from dfab.api.responses import json_response
from dfab.api.services import ApiServices
from dfab.api.submission_index import HOTKEY_KEY_FIELDS, miner_submissions
from dfab.api.views import BestScoreView, MinerSubmissionView, MinerView
from dfab.storage.best_scores import get_best_record

router = APIGatewayRouter()

#: An SS58 address: base58 characters (no 0, O, I, l), as long as any SS58 format makes.
HOTKEY = r"^[1-9A-HJ-NP-Za-km-z]{32,64}$"
LIMIT_CEILING = 100


def _services() -> ApiServices:
    return router.context["services"]


@router.get(
    "/miners/<hotkey>",
    summary="A miner's best score and submissions (newest first, paginated)",
    operation_id="getMiner",
    tags=["results"],
    responses={
        200: {
            "description": "The miner's best score and one page of its submissions",
            "content": {"application/json": {"model": MinerView}},
        }
    },
)
def read_miner(
    hotkey: Annotated[str, Path(pattern=HOTKEY, description="The miner's SS58 hotkey.")],
    limit: Annotated[int | None, limit_query(LIMIT_CEILING, "Submissions")] = None,
    cursor: CursorQuery = None,
) -> Response[Any]:
    services = _services()
    api = services.api
    request = PageRequest.read(
        limit,
        cursor,
        max_limit=api.miner_submissions_max_limit,
        default_limit=api.miner_submissions_default_limit,
        entries="submissions",
        fields=HOTKEY_KEY_FIELDS,
        fixed={"hotkey": hotkey},
    )
    docs, next_key = miner_submissions(
        services.resources, hotkey, limit=request.limit, start_key=request.start_key
    )
    best = get_best_record(services.resources, hotkey)
    if best is None and not docs and request.start_key is None:
        raise ApiError(404, "NOT_FOUND", f"no submission from {hotkey}")
    view = MinerView(
        hotkey=hotkey,
        best=BestScoreView(
            score=best.score,
            submission_id=best.submission_id,
            completed_at=best.completed_at,
            scorer_version=best.scorer_version,
        )
        if best
        else None,
        submissions=[MinerSubmissionView.of(d) for d in docs],
        next_cursor=encode_cursor(next_key, request.offset + len(docs)) if next_key else None,
    )
    return json_response(200, view)
