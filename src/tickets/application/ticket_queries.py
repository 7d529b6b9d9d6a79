"""The ticket query use cases: who may see what, and read-your-writes, over the read
model port."""

from tickets.application.errors import ReadModelBehind, TicketNotFound
from tickets.application.ports import TicketReadModel
from tickets.application.queries import (
    GetTicketDetails,
    GetTicketStats,
    ListTickets,
    TicketDetails,
    TicketPage,
    TicketStats,
)


class TicketQueries:
    def __init__(self, read_model: TicketReadModel, wait_seconds: float) -> None:
        """``wait_seconds`` bounds a ``min_version`` wait."""
        self._read = read_model
        self._wait_seconds = wait_seconds

    async def list(self, query: ListTickets) -> TicketPage:
        return await self._read.page(query)

    async def stats(self, query: GetTicketStats) -> TicketStats:
        return await self._read.stats(query.viewer)

    async def details(self, query: GetTicketDetails) -> TicketDetails:
        """TicketNotFound at once for a ticket the viewer may not see or the read model
        does not show: only a visible ticket is waited for, so how long the answer
        takes tells nothing about tickets the viewer cannot see. ReadModelBehind if
        ``min_version`` is not shown within the bound."""
        ticket = await self._read.details(query.ticket_id)
        viewer = query.viewer
        if ticket is None or not (viewer.sees_all_tickets or ticket.author.id == viewer.id):
            raise TicketNotFound(f"ticket {query.ticket_id} not found")
        wanted = query.min_version
        if wanted is None or ticket.version >= wanted:
            return ticket
        # The author never changes, so the visibility checked above still holds.
        seen = await self._read.wait_for_version(ticket.id, wanted, self._wait_seconds)
        if seen is None or seen < wanted:
            raise ReadModelBehind(seen or ticket.version, wanted)
        fresh = await self._read.details(ticket.id)
        return fresh if fresh is not None else ticket
