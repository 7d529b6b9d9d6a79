"""Notification cursors: opaque, round-trip their key, and anything else is refused
as an invalid query (a 422), never an error of the server."""

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest

from tickets.application.errors import InvalidQuery
from tickets.application.notification_queries import Notification
from tickets.application.notifications import decode_cursor, encode_cursor


def token(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_cursor_round_trips_its_key() -> None:
    at = datetime(2026, 12, 7, 18, 0, 0, 123456, tzinfo=UTC)
    last = Notification(uuid.uuid4(), uuid.uuid4(), "approved", "t", at, None)
    assert decode_cursor(encode_cursor(last)) == (at, last.id)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        token([1, 2]),
        token({"s": "-created_at", "t": "2026-12-07T18:00:00+00:00", "i": str(uuid.uuid4())}),
        token({"n": "notifications", "t": "2026-12-07T18:00:00", "i": str(uuid.uuid4())}),
        token({"n": "notifications", "t": "yesterday", "i": str(uuid.uuid4())}),
        token({"n": "notifications", "t": "2026-12-07T18:00:00+00:00", "i": "x"}),
        token({"n": "notifications", "t": 5, "i": None}),
    ],
)
def test_anything_else_is_an_invalid_query(cursor: str) -> None:
    with pytest.raises(InvalidQuery):
        decode_cursor(cursor)
