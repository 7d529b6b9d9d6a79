"""Projection `ticket_details`: one row per ticket with its description, decision,
comments and history timeline. One function per event type. After each change it
sends NOTIFY tickets_read '<ticket>:<version>' (delivered on commit), which wakes
readers waiting for their own write."""

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
from tickets.readmodel.guard import apply_guarded

READ_CHANNEL = "tickets_read"


def history_entry(e: DomainEvent) -> list[dict[str, Any]]:
    """A one-element list to append to ``history`` (jsonb values travel as Python data)."""
    entry = {
        "event_type": e.event_type,
        "version": e.version,
        "actor": {"id": str(e.actor_id), "name": e.actor_name},
        "at": e.occurred_at.isoformat(),
    }
    return [entry]


class TicketDetailsProjection:
    name = "ticket_details"

    def __init__(self, suffix: str = "", notify: bool = True) -> None:
        self.table = t = f"read.ticket_details{suffix}"
        self.notify = notify
        guard = "WHERE ticket_id = $1 AND version = $2 - 1"
        touch = "updated_at = $3, version = $2, history = history || $4::jsonb"
        self.sql_create = f"""
            INSERT INTO {t} (ticket_id, title, description, status, author_id, author_name,
                             created_at, updated_at, version, history)
            VALUES ($1, $3, $4, 'draft', $5, $6, $7, $7, $2, $8::jsonb)
            ON CONFLICT DO NOTHING"""
        self.sql_edit = f"UPDATE {t} SET {touch}, title = $5, description = $6 {guard}"
        self.sql_status = f"UPDATE {t} SET {touch}, status = $5 {guard}"
        self.sql_decide = f"""UPDATE {t} SET {touch}, status = $5, decided_by_id = $6,
                                  decided_by_name = $7, decided_at = $3, decision = $5,
                                  reason = $8 {guard}"""
        self.sql_reopen = f"""UPDATE {t} SET {touch}, status = 'draft', decided_by_id = NULL,
                                  decided_by_name = NULL, decided_at = NULL, decision = NULL,
                                  reason = NULL {guard}"""
        self.sql_comment = f"UPDATE {t} SET {touch}, comments = comments || $5::jsonb {guard}"
        self.handlers: dict[type[DomainEvent], Callable[[Any, Any], Awaitable[bool]]] = {
            TicketCreated: self.on_created,
            TicketEdited: self.on_edited,
            TicketSubmitted: self.on_submitted,
            TicketApproved: self.on_decided,
            TicketRejected: self.on_decided,
            TicketReopened: self.on_reopened,
            CommentAdded: self.on_comment_added,
        }
        self.event_types = frozenset(cls.event_type for cls in self.handlers)

    async def apply(self, connection: Any, event: DomainEvent) -> None:
        applied = await self.handlers[type(event)](connection, event)
        if applied and self.notify:
            await connection.execute(
                "SELECT pg_notify($1, $2)", READ_CHANNEL, f"{event.ticket_id}:{event.version}"
            )

    async def on_created(self, connection: Any, e: TicketCreated) -> bool:
        status = await connection.execute(
            self.sql_create,
            e.ticket_id,
            e.version,
            e.title,
            e.description,
            e.actor_id,
            e.actor_name,
            e.occurred_at,
            history_entry(e),
        )
        return bool(status.endswith(" 1"))

    async def _guarded(self, connection: Any, e: DomainEvent, sql: str, *args: object) -> bool:
        return await apply_guarded(
            connection, self.table, e, sql, e.occurred_at, history_entry(e), *args
        )

    async def on_edited(self, connection: Any, e: TicketEdited) -> bool:
        return await self._guarded(connection, e, self.sql_edit, e.title, e.description)

    async def on_submitted(self, connection: Any, e: TicketSubmitted) -> bool:
        return await self._guarded(connection, e, self.sql_status, "submitted")

    async def on_decided(self, connection: Any, e: TicketApproved | TicketRejected) -> bool:
        decision = "approved" if isinstance(e, TicketApproved) else "rejected"
        reason = e.reason if isinstance(e, TicketRejected) else None
        return await self._guarded(
            connection, e, self.sql_decide, decision, e.actor_id, e.actor_name, reason
        )

    async def on_reopened(self, connection: Any, e: TicketReopened) -> bool:
        return await self._guarded(connection, e, self.sql_reopen)

    async def on_comment_added(self, connection: Any, e: CommentAdded) -> bool:
        comment = {
            "id": str(e.comment_id),
            "author": {"id": str(e.actor_id), "name": e.actor_name},
            "body": e.body,
            "created_at": e.occurred_at.isoformat(),
        }
        return await self._guarded(connection, e, self.sql_comment, [comment])
