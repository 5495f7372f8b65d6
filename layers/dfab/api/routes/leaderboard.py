"""`GET /leaderboard`: public ranking of best completed scores, a page at a time.

Pages come from the container's current ranking (`dfab.api.ranking`, shared with
GET /weights). The opaque cursor holds the rank key of the last entry shown; the next
page starts after it, so paging while scores change never repeats or skips an entry
that did not change, and ranks are exact positions in the ranking the page was cut from.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from dfab import SCORER_VERSION
from dfab.api.cursor import encode_cursor
from dfab.api.paging import CursorQuery, PageRequest, limit_query
from dfab.api.responses import json_response, public_max_age
from dfab.api.services import ApiServices
from dfab.api.views import LeaderboardEntry, LeaderboardPage

router = APIGatewayRouter()

#: The key attribute of a leaderboard cursor.
RANK_CURSOR_FIELDS = frozenset({"rank_key"})
#: Hard ceiling of `limit` whatever the settings say (the OpenAPI documents it).
LIMIT_CEILING = 1000
#: Shared caches may keep a page this long (it is public and changes rarely).
PAGE_MAX_AGE_S = 5


def _services() -> ApiServices:
    return router.context["services"]


@router.get(
    "/leaderboard",
    summary="Best completed scores, highest first, paginated",
    operation_id="getLeaderboard",
    tags=["results"],
    responses={
        200: {
            "description": "One page of the ranking",
            "content": {"application/json": {"model": LeaderboardPage}},
        }
    },
)
def read_leaderboard(
    limit: Annotated[int | None, limit_query(LIMIT_CEILING, "Entries")] = None,
    cursor: CursorQuery = None,
) -> Response[Any]:
    services = _services()
    api = services.api
    request = PageRequest.read(
        limit,
        cursor,
        max_limit=api.leaderboard_max_limit,
        default_limit=api.leaderboard_default_limit,
        entries="entries",
        fields=RANK_CURSOR_FIELDS,
    )
    after = request.start_key["rank_key"]["S"] if request.start_key else None
    ranking = services.ranking.get(services.resources, max_age_s=api.ranking_max_age_s)
    start, records, next_key = ranking.page_after(after, request.limit)
    page = LeaderboardPage(
        scorer_version=SCORER_VERSION,
        generated_at=ranking.generated_at,
        entries=[
            LeaderboardEntry(rank=start + i + 1, **r.model_dump()) for i, r in enumerate(records)
        ],
        next_cursor=(
            encode_cursor({"rank_key": {"S": next_key}}, start + len(records)) if next_key else None
        ),
    )
    return json_response(200, page, cache_control=public_max_age(PAGE_MAX_AGE_S))
