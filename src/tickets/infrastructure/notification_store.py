"""The users' notifications in the write database (the notifications handler writes
them): pages newest first, and marking read."""

from uuid import UUID

import asyncpg

from tickets.application.notification_queries import Notification
from tickets.application.notifications import Key
from tickets.infrastructure.pools import Connections

_COLUMNS = "id, ticket_id, kind, text, created_at, read_at"
# Keyset order (created_at, id) descending: a backward scan of ix_notifications_user
# from the cursor's key, whatever the page number. Two statements rather than an
# "$3 IS NULL OR ..." condition, which a generic plan could not use as an index bound.
PAGE = f"""
SELECT {_COLUMNS} FROM tickets.notifications
 WHERE user_id = $1 AND (NOT $2::boolean OR read_at IS NULL)
 ORDER BY created_at DESC, id DESC
 LIMIT $3
"""
PAGE_AFTER = f"""
SELECT {_COLUMNS} FROM tickets.notifications
 WHERE user_id = $1 AND (NOT $2::boolean OR read_at IS NULL)
   AND (created_at, id) < ($4::timestamptz, $5::uuid)
 ORDER BY created_at DESC, id DESC
 LIMIT $3
"""
# COALESCE: marking a read notification again keeps the time it was first read (its
# retention window counts from then).
_MARK = f"""
UPDATE tickets.notifications SET read_at = COALESCE(read_at, now())
 WHERE id = $1 AND user_id = $2
RETURNING {_COLUMNS}
"""
_MARK_ALL = """
UPDATE tickets.notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL
"""


def _notification(row: asyncpg.Record) -> Notification:
    return Notification(
        id=row["id"],
        ticket_id=row["ticket_id"],
        kind=row["kind"],
        text=row["text"],
        created_at=row["created_at"],
        read_at=row["read_at"],
    )


class SqlNotificationStore:
    def __init__(self, connections: Connections) -> None:
        self._connections = connections

    async def page(
        self, user_id: UUID, unread_only: bool, limit: int, before: Key | None
    ) -> list[Notification]:
        async with self._connections() as connection:
            if before is None:
                rows = await connection.fetch(PAGE, user_id, unread_only, limit)
            else:
                rows = await connection.fetch(PAGE_AFTER, user_id, unread_only, limit, *before)
        return [_notification(row) for row in rows]

    async def mark_read(self, user_id: UUID, notification_id: UUID) -> Notification | None:
        async with self._connections() as connection:
            row = await connection.fetchrow(_MARK, notification_id, user_id)
        return None if row is None else _notification(row)

    async def mark_all_read(self, user_id: UUID) -> int:
        async with self._connections() as connection:
            status: str = await connection.execute(_MARK_ALL, user_id)
        return int(status.rpartition(" ")[2])
