"""`PageRequest.read`: the limit and cursor checks every paginated listing shares."""

from __future__ import annotations

from typing import Any

import pytest

from dfab.api.cursor import encode_cursor
from dfab.api.errors import ApiError
from dfab.api.paging import PageRequest

FIELDS = frozenset({"hotkey", "sk"})
KEY = {"hotkey": {"S": "5Miner"}, "sk": {"S": "2026-01-01#sub-1"}}


def read(limit: int | None, cursor: str | None, **kwargs: Any) -> PageRequest:
    return PageRequest.read(
        limit, cursor, max_limit=50, default_limit=10, entries="rows", fields=FIELDS, **kwargs
    )


def test_first_page_takes_the_default_limit() -> None:
    assert read(None, None) == PageRequest(limit=10, start_key=None, offset=0)
    assert read(50, "") == PageRequest(limit=50, start_key=None, offset=0)


def test_cursor_continues_after_its_key() -> None:
    page = read(5, encode_cursor(KEY, 30), fixed={"hotkey": "5Miner"})
    assert page == PageRequest(limit=5, start_key=KEY, offset=30)


def test_limit_above_the_deployment_cap_is_a_bad_request() -> None:
    with pytest.raises(ApiError) as caught:
        read(51, encode_cursor(KEY, 0))
    assert (caught.value.status, caught.value.code) == (400, "BAD_REQUEST")
    assert caught.value.message == "limit: at most 50 rows per page"


@pytest.mark.parametrize(
    ("cursor", "fixed"),
    [
        ("not a cursor", None),
        (encode_cursor({"rank_key": {"S": "x"}}, 0), None),  # another listing's cursor
        (encode_cursor(KEY, 0), {"hotkey": "5Other"}),  # another miner's page
    ],
)
def test_foreign_cursor_is_a_bad_cursor(cursor: str, fixed: dict[str, str] | None) -> None:
    with pytest.raises(ApiError) as caught:
        read(None, cursor, fixed=fixed)
    assert (caught.value.status, caught.value.code) == (400, "BAD_CURSOR")
