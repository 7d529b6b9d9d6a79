"""The SQLAlchemy unit of work: aggregate rows, outbox rows and the idempotency
record are written in one transaction."""

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from tickets.application.errors import ConcurrencyConflict
from tickets.application.ports import MessageContext
from tickets.infrastructure.database import as_unavailable
from tickets.infrastructure.idempotency import SqlIdempotencyStore
from tickets.infrastructure.outbox_writer import append_to_outbox
from tickets.infrastructure.repositories import SqlTicketRepository, SqlUserRepository


class SqlUnitOfWork:
    tickets: SqlTicketRepository
    users: SqlUserRepository
    idempotency: SqlIdempotencyStore

    def __init__(self, sessions: async_sessionmaker[AsyncSession], context: MessageContext):
        self._sessions = sessions
        self._context = context

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self.tickets = SqlTicketRepository(self._session)
        self.users = SqlUserRepository(self._session)
        self.idempotency = SqlIdempotencyStore(self._session)
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
        try:
            # The flush runs the version-guarded UPDATEs; a lost race raises StaleDataError.
            await self._session.flush()
        except StaleDataError as error:
            raise ConcurrencyConflict(
                "the ticket was changed concurrently; reload it and try again"
            ) from error
        events = [event for ticket in self.tickets.seen for event in ticket.pull_events()]
        await append_to_outbox(self._session, events, self._context)
        await self.idempotency.flush()
        await self._session.commit()


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def __call__(self, context: MessageContext) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, context)
