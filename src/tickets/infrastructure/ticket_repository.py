"""Tickets as plain domain objects, loaded on the unit of work's connection; what
changed is handed to the unit of work as TicketChange values (see command_writes)."""

from dataclasses import dataclass
from uuid import UUID

from asyncpg.pool import PoolConnectionProxy

from tickets.domain.status import TicketStatus
from tickets.domain.ticket import Ticket
from tickets.infrastructure.ticket_changes import TicketChange

# Comments are never loaded: no rule reads them (see Ticket).
LOAD = """
SELECT id, title, description, author_id, author_name, status, version, created_at,
       updated_at
  FROM tickets.tickets
 WHERE id = $1
"""


@dataclass
class _Tracked:
    """A ticket in this unit of work and how much of it was already handed over."""

    ticket: Ticket
    stored_version: int | None  # as loaded or last handed over; None: new
    comments_handed_over: int = 0  # a loaded ticket's comment list starts empty


class SqlTicketRepository:
    def __init__(self, connection: PoolConnectionProxy) -> None:
        self._connection = connection
        self._tracked: dict[UUID, _Tracked] = {}

    def add(self, ticket: Ticket) -> None:
        self._tracked[ticket.id] = _Tracked(ticket, stored_version=None)

    async def get(self, ticket_id: UUID) -> Ticket | None:
        if ticket_id in self._tracked:  # already in this unit of work (batched commands)
            return self._tracked[ticket_id].ticket
        row = await self._connection.fetchrow(LOAD, ticket_id)
        if row is None:
            return None
        ticket = Ticket(
            row["id"],
            row["title"],
            row["description"],
            row["author_id"],
            row["author_name"],
            TicketStatus(row["status"]),
            row["version"],
            row["created_at"],
            row["updated_at"],
        )
        self._tracked[ticket_id] = _Tracked(ticket, stored_version=ticket.version)
        return ticket

    def pull_changes(self) -> list[TicketChange]:
        """Hand over every ticket that changed since it was added, loaded or last
        handed over, with its new comments and events, in the order first seen."""
        changes = []
        for entry in self._tracked.values():
            ticket = entry.ticket
            new_comments = ticket.new_comments[entry.comments_handed_over :]
            if entry.stored_version == ticket.version and not new_comments:
                continue
            changes.append(
                TicketChange(ticket, entry.stored_version, new_comments, ticket.pull_events())
            )
            entry.stored_version = ticket.version
            entry.comments_handed_over = len(ticket.new_comments)
        return changes
