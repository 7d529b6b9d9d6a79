"""Tickets as plain domain objects, read and written with SQLAlchemy Core statements on
the unit of work's connection. Changes are written by ``flush``, version-guarded."""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tickets.application.errors import ConcurrencyConflict
from tickets.domain.status import TicketStatus
from tickets.domain.ticket import Comment, Ticket
from tickets.infrastructure import tables
from tickets.infrastructure.rows import Rows, comment_row, execute_rows, ticket_row

T = tables.tickets
# Driver SQL (see database.driver_sql): the hottest statement skips SQLAlchemy's
# compilation lookup and result processing. Comments are never loaded.
_LOAD = (
    "SELECT id, title, description, author_id, author_name, status, version, created_at,"
    " updated_at FROM tickets.tickets WHERE id = $1"
)
_INSERT = insert(T)
_INSERT_COMMENTS = insert(tables.comments)
# Optimistic concurrency: the row changes only if it still has the version this unit of
# work loaded. Under READ COMMITTED the UPDATE waits for a concurrent writer's row lock,
# then re-checks the condition on the row that writer committed: it no longer matches,
# so the later of two racing writers updates no row and loses. The SET clause is the
# columns named in the parameters (see _changes).
_UPDATE = update(T).where(T.c.id == bindparam("p_id"), T.c.version == bindparam("p_loaded"))


@dataclass
class _Tracked:
    """A ticket in this unit of work and how much of it is already stored."""

    ticket: Ticket
    stored_version: int | None  # None: not inserted yet
    stored_comments: int = 0  # new_comments[:stored_comments] are stored (a loaded list is empty)


class SqlTicketRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._tracked: dict[UUID, _Tracked] = {}

    @property
    def seen(self) -> list[Ticket]:
        """Every ticket added or loaded in this unit of work, in that order."""
        return [tracked.ticket for tracked in self._tracked.values()]

    def single_change(self) -> tuple[Ticket, int | None, list[Comment]] | None:
        """The ticket, its stored version (None: new) and its unstored comments, when
        exactly one ticket in this unit of work has something to write; else None."""
        pending = [t for t in self._tracked.values() if _has_changes(t)]
        if len(pending) != 1:
            return None
        entry = pending[0]
        return (
            entry.ticket,
            entry.stored_version,
            entry.ticket.new_comments[entry.stored_comments :],
        )

    def mark_stored(self) -> None:
        """Record that every tracked ticket is now stored as it is."""
        for entry in self._tracked.values():
            entry.stored_version = entry.ticket.version
            entry.stored_comments = len(entry.ticket.new_comments)

    def add(self, ticket: Ticket) -> None:
        self._tracked[ticket.id] = _Tracked(ticket, stored_version=None)

    async def get(self, ticket_id: UUID) -> Ticket | None:
        if ticket_id in self._tracked:  # already in this unit of work (batched commands)
            return self._tracked[ticket_id].ticket
        row = (await self._connection.exec_driver_sql(_LOAD, (ticket_id,))).one_or_none()
        if row is None:
            return None
        ticket = Ticket(
            row.id,
            row.title,
            row.description,
            row.author_id,
            row.author_name,
            TicketStatus(row.status),
            row.version,
            row.created_at,
            row.updated_at,
        )
        self._tracked[ticket_id] = _Tracked(ticket, stored_version=ticket.version)
        return ticket

    async def flush(self) -> None:
        """Write what changed since the last flush: new tickets, changed tickets (each
        domain change bumps the version), new comments. ConcurrencyConflict when another
        transaction changed a ticket after this one loaded it."""
        tracked = list(self._tracked.values())
        new = [t for t in tracked if t.stored_version is None]
        changed = [t for t in tracked if t.stored_version not in (None, t.ticket.version)]
        await execute_rows(self._connection, _INSERT, [ticket_row(t.ticket) for t in new])
        # UPDATEs in primary-key order: two batches changing the same tickets take the
        # row locks in the same order, so they cannot deadlock on each other.
        for entry in sorted(changed, key=lambda t: t.ticket.id):
            result = await self._connection.execute(_UPDATE, _changes(entry))
            if result.rowcount != 1:
                raise ConcurrencyConflict()
        comments: Rows = []
        for entry in tracked:  # after the tickets: comments reference them
            comments += map(comment_row, entry.ticket.new_comments[entry.stored_comments :])
        self.mark_stored()
        await execute_rows(self._connection, _INSERT_COMMENTS, comments)


def _has_changes(entry: _Tracked) -> bool:
    ticket = entry.ticket
    return (
        entry.stored_version != ticket.version or len(ticket.new_comments) > entry.stored_comments
    )


def _changes(entry: _Tracked) -> dict[str, object]:
    ticket = entry.ticket
    return {
        "p_id": ticket.id,
        "p_loaded": entry.stored_version,
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status,
        "version": ticket.version,
        "updated_at": ticket.updated_at,
    }
