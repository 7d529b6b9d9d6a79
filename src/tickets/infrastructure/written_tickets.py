"""The write side's current version and author of a ticket, for read-your-writes: a
reader asking for a version no command wrote is told so at once instead of waiting."""

from uuid import UUID

from tickets.application.ports import WrittenTicket
from tickets.infrastructure.pools import Connections

HEAD = "SELECT version, author_id FROM tickets.tickets WHERE id = $1"


class SqlWrittenTickets:
    def __init__(self, connections: Connections) -> None:
        self._connections = connections

    async def head(self, ticket_id: UUID) -> WrittenTicket | None:
        async with self._connections() as connection:
            row = await connection.fetchrow(HEAD, ticket_id)
        return None if row is None else WrittenTicket(row["version"], row["author_id"])
