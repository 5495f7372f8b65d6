"""The `limit` and `cursor` query parameters every paginated listing takes.

GET /leaderboard and GET /miners/{hotkey} page the same way: an optional `limit`, capped
by the deployment below the ceiling the OpenAPI documents, and the opaque `next_cursor`
of the previous page (`dfab.api.cursor`). Both are checked here, once, so a bad value is
the same 400 on every listing and never reaches a query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from dfab.api.cursor import MAX_CURSOR_CHARS, CursorInvalid, decode_cursor
from dfab.api.errors import ApiError

#: The `cursor` query parameter: the previous page's `next_cursor`, if any.
CursorQuery = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_CHARS, description="`next_cursor` of the previous page."),
]


def limit_query(ceiling: int, entries: str) -> Query:
    """The `limit` query parameter's OpenAPI declaration; `entries` names what is counted.

    `ceiling` is what the document promises; the deployment's cap (`PageRequest.read`)
    may be lower, so the description says so.
    """
    return Query(ge=1, le=ceiling, description=f"{entries} per page (the deployment caps it).")


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One checked page request: its size, and where the previous page ended."""

    #: Entries to return: the caller's `limit`, else the listing's default.
    limit: int
    #: The DynamoDB key the previous page ended at; None for the first page.
    start_key: dict[str, Any] | None
    #: Entries shown before this page (0 for the first page).
    offset: int

    @classmethod
    def read(
        cls,
        limit: int | None,
        cursor: str | None,
        *,
        max_limit: int,
        default_limit: int,
        entries: str,
        fields: frozenset[str],
        fixed: dict[str, str] | None = None,
    ) -> PageRequest:
        """Check `limit` against the deployment's cap, then decode `cursor`.

        `entries` names what is counted in the error (lower case); `fields` and `fixed`
        are the listing's cursor key attributes and the values they must hold
        (`decode_cursor`). Raises `ApiError` 400: BAD_REQUEST for a limit above
        `max_limit`, BAD_CURSOR for a cursor this listing did not return.
        """
        if limit is not None and limit > max_limit:
            raise ApiError(400, "BAD_REQUEST", f"limit: at most {max_limit} {entries} per page")
        start_key, offset = None, 0
        if cursor:
            try:
                start_key, offset = decode_cursor(cursor, fields=fields, fixed=fixed)
            except CursorInvalid as exc:
                raise ApiError(400, "BAD_CURSOR", str(exc)) from None
        return cls(limit=limit or default_limit, start_key=start_key, offset=offset)
