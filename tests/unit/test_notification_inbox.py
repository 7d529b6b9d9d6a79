"""The notification inbox over an in-memory store: pages newest first with one row more
to tell whether another follows, every operation scoped to the acting user, and the
query's own bounds and cursor refused as invalid queries."""

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from tests.unit.builders import requester
from tickets.application.errors import InvalidQuery, NotificationNotFound
from tickets.application.notification_queries import (
    ListNotifications,
    MarkAllNotificationsRead,
    MarkedRead,
    MarkNotificationRead,
    Notification,
)
from tickets.application.notifications import (
    Key,
    NotificationInbox,
    decode_cursor,
    encode_cursor,
)

ALICE = requester("alice")
T0 = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


def note(minutes: int, read: bool = False) -> Notification:
    at = T0 + timedelta(minutes=minutes)
    return Notification(uuid4(), uuid4(), "approved", "approved", at, at if read else None)


class FakeStore:
    """Answers each page with the rows it holds, newest first, and records every call."""

    def __init__(self, *rows: Notification) -> None:
        self.rows = sorted(rows, key=lambda n: (n.created_at, n.id), reverse=True)
        self.pages: list[tuple[UUID, bool, int, Key | None]] = []
        self.marked: list[tuple[UUID, UUID]] = []
        self.all_marked: list[UUID] = []

    async def page(
        self, user_id: UUID, unread_only: bool, limit: int, before: Key | None
    ) -> list[Notification]:
        self.pages.append((user_id, unread_only, limit, before))
        rows = [r for r in self.rows if before is None or (r.created_at, r.id) < before]
        return rows[:limit]

    async def mark_read(self, user_id: UUID, notification_id: UUID) -> Notification | None:
        self.marked.append((user_id, notification_id))
        return next((r for r in self.rows if r.id == notification_id), None)

    async def mark_all_read(self, user_id: UUID) -> int:
        self.all_marked.append(user_id)
        return 3


async def test_a_full_page_asks_one_row_more_and_gives_the_next_cursor() -> None:
    rows = [note(m) for m in range(5)]
    store = FakeStore(*rows)
    inbox = NotificationInbox(store)

    first = await inbox.list(ListNotifications(ALICE, unread_only=True, limit=2))

    assert first.items == store.rows[:2]
    assert store.pages == [(ALICE.id, True, 3, None)]
    assert first.next_cursor == encode_cursor(store.rows[1])
    last = store.rows[1]
    second = await inbox.list(ListNotifications(ALICE, limit=3, cursor=first.next_cursor))
    assert second.items == store.rows[2:5]
    assert store.pages[1] == (ALICE.id, False, 4, (last.created_at, last.id))
    assert second.next_cursor is None, "no row beyond the page: no next cursor"


async def test_a_page_exactly_as_long_as_the_rest_has_no_next_cursor() -> None:
    store = FakeStore(note(1), note(2))
    page = await NotificationInbox(store).list(ListNotifications(ALICE, limit=2))
    assert len(page.items) == 2
    assert page.next_cursor is None


async def test_marking_one_read_is_the_actors_and_unknown_is_not_found() -> None:
    mine = note(1, read=True)
    store = FakeStore(mine)
    inbox = NotificationInbox(store)
    assert await inbox.mark_read(MarkNotificationRead(ALICE, mine.id)) == mine
    unknown = uuid4()
    with pytest.raises(NotificationNotFound) as raised:
        await inbox.mark_read(MarkNotificationRead(ALICE, unknown))
    assert str(raised.value) == f"notification {unknown} not found"
    assert raised.value.code == "notification.not_found"
    assert store.marked == [(ALICE.id, mine.id), (ALICE.id, unknown)]


async def test_marking_all_read_counts_them_for_the_actor() -> None:
    store = FakeStore()
    marked = await NotificationInbox(store).mark_all_read(MarkAllNotificationsRead(ALICE))
    assert marked == MarkedRead(3)
    assert store.all_marked == [ALICE.id]


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_a_limit_outside_1_to_100_is_an_invalid_query(limit: int) -> None:
    with pytest.raises(InvalidQuery) as raised:
        ListNotifications(ALICE, limit=limit)
    assert raised.value.field == "limit"
    assert str(raised.value) == "limit must be between 1 and 100"


@pytest.mark.parametrize("limit", [1, 100])
def test_the_limits_bounds_are_allowed(limit: int) -> None:
    assert ListNotifications(ALICE, limit=limit).limit == limit


@pytest.mark.parametrize("cursor", ["x" * 501, "a\x00b"])
def test_a_cursor_too_long_or_with_nul_is_an_invalid_query(cursor: str) -> None:
    with pytest.raises(InvalidQuery) as raised:
        ListNotifications(ALICE, cursor=cursor)
    assert raised.value.field == "cursor"


def test_the_defaults_are_every_notification_twenty_at_a_time() -> None:
    query = ListNotifications(ALICE)
    assert (query.unread_only, query.limit, query.cursor) == (False, 20, None)


def test_a_cursor_is_unpadded_base64url_json_naming_its_list() -> None:
    last = note(7)
    cursor = encode_cursor(last)
    assert "=" not in cursor
    raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert raw == {"n": "notifications", "t": last.created_at.isoformat(), "i": str(last.id)}


@pytest.mark.parametrize("extra", ["", "x", "xy"])
def test_cursors_of_every_padding_length_decode(extra: str) -> None:
    """base64 pads to 4 characters; the cursor drops the padding, decoding restores it."""
    identifier = uuid4()
    raw = json.dumps({"n": "notifications", "t": T0.isoformat(), "i": str(identifier), "p": extra})
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    assert decode_cursor(cursor) == (T0, identifier)


def test_a_cursors_time_in_another_zone_is_read_in_utc() -> None:
    identifier = uuid4()
    at = datetime(2026, 12, 7, 20, 0, tzinfo=timezone(timedelta(hours=2)))
    raw = json.dumps({"n": "notifications", "t": at.isoformat(), "i": str(identifier)})
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    when, key_id = decode_cursor(cursor)
    assert (when, key_id) == (T0, identifier)
    assert when.tzinfo is UTC


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        json.dumps([1]),
        json.dumps({"n": "tickets", "t": T0.isoformat(), "i": str(uuid4())}),
        json.dumps({"t": T0.isoformat(), "i": str(uuid4())}),
        json.dumps({"n": "notifications", "i": str(uuid4())}),
        json.dumps({"n": "notifications", "t": T0.isoformat()}),
        json.dumps({"n": "notifications", "t": "2026-12-07T18:00:00", "i": str(uuid4())}),
    ],
)
def test_a_foreign_cursor_is_the_cursor_field_malformed(raw: str) -> None:
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    with pytest.raises(InvalidQuery) as raised:
        decode_cursor(cursor)
    assert raised.value.field == "cursor"
    assert str(raised.value) == "the cursor is malformed"
