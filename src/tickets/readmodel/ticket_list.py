"""Projection `ticket_list`: one row per ticket for lists and search, plus the
per-author status counts behind /tickets/stats. One function per event type."""

from collections.abc import Awaitable, Callable
from typing import Any

from tickets.domain.events import (
    CommentAdded,
    DomainEvent,
    TicketApproved,
    TicketCreated,
    TicketEdited,
    TicketRejected,
    TicketReopened,
    TicketSubmitted,
)
from tickets.readmodel.guard import apply_guarded, not_applied

MOVES: dict[type[DomainEvent], tuple[str, str]] = {
    TicketSubmitted: ("draft", "submitted"),
    TicketApproved: ("submitted", "approved"),
    TicketRejected: ("submitted", "rejected"),
    TicketReopened: ("rejected", "draft"),
}


class TicketListProjection:
    name = "ticket_list"

    def __init__(self, suffix: str = "") -> None:
        """``suffix`` names shadow tables (``_rebuild``) during a rebuild."""
        self.table = f"read.ticket_list{suffix}"
        self.counts = f"read.status_counts{suffix}"
        t = self.table
        self.sql_create = f"""
            INSERT INTO {t} (ticket_id, title, status, author_id, author_name, comment_count,
                             created_at, updated_at, version)
            VALUES ($1, $2, 'draft', $3, $4, 0, $5, $5, 1) ON CONFLICT DO NOTHING"""
        self.sql_edit = f"""UPDATE {t} SET title = $3, updated_at = $4, version = $2
                            WHERE ticket_id = $1 AND version = $2 - 1"""
        self.sql_move = f"""UPDATE {t} SET status = $3, updated_at = $4, version = $2
                            WHERE ticket_id = $1 AND version = $2 - 1 AND status = $5
                            RETURNING author_id"""
        self.sql_comment = f"""UPDATE {t} SET comment_count = comment_count + 1,
                                   updated_at = $3, version = $2
                               WHERE ticket_id = $1 AND version = $2 - 1"""
        self.sql_count = f"""INSERT INTO {self.counts} AS c (author_id, status, count)
                             VALUES ($1, $2, $3) ON CONFLICT (author_id, status)
                             DO UPDATE SET count = c.count + excluded.count"""
        self.handlers: dict[type[DomainEvent], Callable[[Any, Any], Awaitable[None]]] = {
            TicketCreated: self.on_created,
            TicketEdited: self.on_edited,
            CommentAdded: self.on_comment_added,
            **{cls: self.on_status_change for cls in MOVES},
        }
        self.event_types = frozenset(cls.event_type for cls in self.handlers)

    async def apply(self, connection: Any, event: DomainEvent) -> None:
        await self.handlers[type(event)](connection, event)

    async def on_created(self, connection: Any, e: TicketCreated) -> None:
        inserted = await connection.execute(
            self.sql_create, e.ticket_id, e.title, e.actor_id, e.actor_name, e.occurred_at
        )
        if inserted.endswith(" 1"):
            await connection.execute(self.sql_count, e.actor_id, "draft", 1)

    async def on_edited(self, connection: Any, e: TicketEdited) -> None:
        await apply_guarded(connection, self.table, e, self.sql_edit, e.title, e.occurred_at)

    async def on_comment_added(self, connection: Any, e: CommentAdded) -> None:
        await apply_guarded(connection, self.table, e, self.sql_comment, e.occurred_at)

    async def on_status_change(self, connection: Any, e: DomainEvent) -> None:
        old, new = MOVES[type(e)]
        author = await connection.fetchval(
            self.sql_move, e.ticket_id, e.version, new, e.occurred_at, old
        )
        if author is None:  # not applied: seen before, or out of order
            await not_applied(connection, self.table, e)
            return
        await connection.execute(self.sql_count, author, old, -1)
        await connection.execute(self.sql_count, author, new, 1)
