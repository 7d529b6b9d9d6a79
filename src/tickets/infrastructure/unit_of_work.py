"""The SQLAlchemy unit of work: aggregate rows, outbox rows and the idempotency
record are written in one transaction, on one connection, with Core statements."""

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from tickets.application.ports import MessageContext
from tickets.infrastructure.database import as_unavailable
from tickets.infrastructure.idempotency import SqlIdempotencyStore
from tickets.infrastructure.outbox_writer import append_to_outbox
from tickets.infrastructure.repositories import SqlUserRepository
from tickets.infrastructure.ticket_repository import SqlTicketRepository


class SqlUnitOfWork:
    tickets: SqlTicketRepository
    users: SqlUserRepository
    idempotency: SqlIdempotencyStore

    def __init__(self, sessions: async_sessionmaker[AsyncSession], context: MessageContext):
        self._sessions = sessions
        self._context = context

    async def __aenter__(self) -> Self:
        # The session owns the transaction; the stores share its one connection. Taking
        # it sends nothing yet: the driver sends BEGIN before the first statement.
        self._session = self._sessions()
        try:
            connection: AsyncConnection = await self._session.connection()
        except BaseException as error:  # close the session; ServiceUnavailable if down
            await self.__aexit__(type(error), error, error.__traceback__)
            raise
        self.tickets = SqlTicketRepository(connection)
        self.users = SqlUserRepository(connection)
        self.idempotency = SqlIdempotencyStore(connection)
        self._connection = connection
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._session.close()  # rolls back anything not committed
        except Exception as close_error:
            if exc is None:
                exc = close_error
        unavailable = as_unavailable(exc)
        if unavailable is not None:
            raise unavailable from exc

    async def commit(self) -> None:
        # A lost optimistic-concurrency race raises ConcurrencyConflict out of the flush;
        # nothing is committed and __aexit__ rolls back what was already written.
        await self.tickets.flush()
        events = [event for ticket in self.tickets.seen for event in ticket.pull_events()]
        await append_to_outbox(self._connection, events, self._context)
        await self.idempotency.flush()
        await self._session.commit()


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def __call__(self, context: MessageContext) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, context)
