"""A user's notifications: list them (keyset-paged, newest first) and mark them read,
over the NotificationStore port. Every operation is scoped to the acting user, so a
notification of someone else is indistinguishable from one that does not exist."""

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from tickets.application.errors import InvalidQuery, NotificationNotFound
from tickets.application.notification_queries import (
    ListNotifications,
    MarkAllNotificationsRead,
    MarkedRead,
    MarkNotificationRead,
    Notification,
    NotificationPage,
)

Key = tuple[datetime, UUID]
"""A notification's place in the newest-first order: (created_at, id)."""


class NotificationStore(Protocol):
    async def page(
        self, user_id: UUID, unread_only: bool, limit: int, before: Key | None
    ) -> list[Notification]:
        """Up to ``limit`` of the user's notifications, newest first, after ``before``."""
        ...

    async def mark_read(self, user_id: UUID, notification_id: UUID) -> Notification | None:
        """The notification, read; None if the user has no such notification."""
        ...

    async def mark_all_read(self, user_id: UUID) -> int: ...


class NotificationInbox:
    def __init__(self, store: NotificationStore) -> None:
        self._store = store

    async def list(self, query: ListNotifications) -> NotificationPage:
        before = decode_cursor(query.cursor) if query.cursor else None
        # One row more than the page tells whether another page follows.
        rows = await self._store.page(query.viewer.id, query.unread_only, query.limit + 1, before)
        items = rows[: query.limit]
        more = len(rows) > query.limit
        return NotificationPage(items, encode_cursor(items[-1]) if more else None)

    async def mark_read(self, command: MarkNotificationRead) -> Notification:
        marked = await self._store.mark_read(command.actor.id, command.notification_id)
        if marked is None:
            raise NotificationNotFound(f"notification {command.notification_id} not found")
        return marked

    async def mark_all_read(self, command: MarkAllNotificationsRead) -> MarkedRead:
        return MarkedRead(await self._store.mark_all_read(command.actor.id))


def encode_cursor(last: Notification) -> str:
    raw = json.dumps({"n": "notifications", "t": last.created_at.isoformat(), "i": str(last.id)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> Key:
    """The key a cursor this service issued holds; InvalidQuery for anything else."""
    try:
        data = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()))
        if data.get("n") != "notifications":
            raise ValueError("not a notifications cursor")
        at = datetime.fromisoformat(data["t"])
        if at.tzinfo is None:
            raise ValueError("a time without zone")
        return at.astimezone(UTC), UUID(data["i"])
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, binascii.Error):
        raise InvalidQuery("cursor", "the cursor is malformed") from None
