"""The ticket query use cases: who may see what, and read-your-writes, over the read
model port."""

from uuid import UUID

from tickets.application.errors import ReadModelBehind, TicketNotFound, VersionNotWritten
from tickets.application.ports import TicketReadModel, WrittenTickets
from tickets.application.queries import (
    GetTicketDetails,
    GetTicketStats,
    ListTickets,
    TicketDetails,
    TicketPage,
    TicketStats,
)


class TicketQueries:
    def __init__(
        self, read_model: TicketReadModel, wait_seconds: float, written: WrittenTickets
    ) -> None:
        """``wait_seconds`` bounds a ``min_version`` wait; ``written`` says which
        versions exist, so that only those are waited for."""
        self._read = read_model
        self._wait_seconds = wait_seconds
        self._written = written

    async def list(self, query: ListTickets) -> TicketPage:
        return await self._read.page(query)

    async def stats(self, query: GetTicketStats) -> TicketStats:
        return await self._read.stats(query.viewer)

    async def details(self, query: GetTicketDetails) -> TicketDetails:
        """TicketNotFound at once for a ticket the viewer may not see: only a visible
        ticket is waited for, so how long the answer takes tells nothing about tickets
        the viewer cannot see. Without ``min_version``, a ticket the read model does
        not show yet is TicketNotFound too.

        With ``min_version`` N not shown yet, the write side decides: a ticket that
        does not exist or that the viewer may not see is TicketNotFound at once; one
        whose version is below N is VersionNotWritten at once (no write has produced
        N, so no wait could end); otherwise the read model is waited for, bounded
        (ReadModelBehind when the bound passes), a ticket created just now included.
        Why asking the write side once is enough: a client learns a version only from
        a committed command, so a version it may rightly ask for is there already."""
        ticket = await self._read.details(query.ticket_id)
        viewer, wanted = query.viewer, query.min_version
        if ticket is not None:
            if not viewer.may_see(ticket.author.id):
                raise _not_found(query.ticket_id)
            if wanted is None or ticket.version >= wanted:
                return ticket
        elif wanted is None:
            raise _not_found(query.ticket_id)
        written = await self._written.head(query.ticket_id)
        # The author never changes, so the write side's visibility is the read side's.
        if written is None or not viewer.may_see(written.author_id):
            raise _not_found(query.ticket_id)
        if written.version < wanted:
            raise VersionNotWritten(written.version, wanted)
        seen = await self._read.wait_for_version(query.ticket_id, wanted, self._wait_seconds)
        fresh = await self._read.details(query.ticket_id) if seen is not None else None
        if seen is None or seen < wanted or fresh is None:
            raise ReadModelBehind(seen, wanted)
        return fresh


def _not_found(ticket_id: UUID) -> TicketNotFound:
    return TicketNotFound(f"ticket {ticket_id} not found")
