"""The SQLAlchemy unit of work: a command's ticket rows, outbox rows and idempotency
record are written atomically, on one connection, with Core statements.

Reads run on their own (autocommit): optimistic versions, not a long transaction, keep
a command correct, because every ticket write is guarded by the version it loaded. The
writes happen at ``commit``: one statement when one ticket changed (every command;
see one_statement_write), else BEGIN, one statement per kind of row, COMMIT (batches).
"""

from types import TracebackType
from typing import Self

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tickets.application.errors import ConcurrencyConflict, IdempotencyRace
from tickets.application.ports import MessageContext
from tickets.infrastructure.database import as_unavailable, constraint_of
from tickets.infrastructure.idempotency import SqlIdempotencyStore
from tickets.infrastructure.one_statement_write import write_ticket
from tickets.infrastructure.outbox_writer import append_to_outbox, outbox_rows
from tickets.infrastructure.repositories import SqlUserRepository
from tickets.infrastructure.ticket_repository import SqlTicketRepository


class SqlUnitOfWork:
    tickets: SqlTicketRepository
    users: SqlUserRepository
    idempotency: SqlIdempotencyStore
    _connection: AsyncConnection

    def __init__(self, engine: AsyncEngine, context: MessageContext):
        self._engine = engine
        self._context = context

    async def __aenter__(self) -> Self:
        try:
            connection = await self._engine.connect()
        except Exception as error:
            raise as_unavailable(error) or error from error
        self._connection = connection
        try:
            # No BEGIN: each read is its own statement; the pool restores the default
            # isolation level when the connection goes back.
            await connection.execution_options(isolation_level="AUTOCOMMIT")
        except BaseException as error:  # return the connection; ServiceUnavailable if down
            await self.__aexit__(type(error), error, error.__traceback__)
            raise
        self.tickets = SqlTicketRepository(connection)
        self.users = SqlUserRepository(connection)  # its upsert is one atomic statement
        self.idempotency = SqlIdempotencyStore(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._connection.close()  # rolls back a transaction not committed
        except Exception as close_error:
            if exc is None:
                exc = close_error
        unavailable = as_unavailable(exc)
        if unavailable is not None:
            raise unavailable from exc

    async def commit(self) -> None:
        """Write everything, atomically. ConcurrencyConflict if another command changed
        a ticket after this one loaded it; IdempotencyRace if another request stored
        this idempotency key first. Either way nothing of this unit of work is stored."""
        events = [event for ticket in self.tickets.seen for event in ticket.pull_events()]
        rows = outbox_rows(events, self._context)
        single = self.tickets.single_change()
        if single is None:
            await self._commit_in_transaction(rows)
            return
        ticket, loaded, comments = single
        try:
            written = await write_ticket(
                self._connection, ticket, loaded, comments, rows, self.idempotency.pending
            )
        except sa_exc.IntegrityError as error:
            if constraint_of(error) == "idempotency_keys_pkey":
                raise IdempotencyRace() from error
            raise
        if not written:
            raise ConcurrencyConflict()
        self.tickets.mark_stored()
        self.idempotency.forget_pending()

    async def _commit_in_transaction(self, rows: list[dict[str, object]]) -> None:
        # The reads autobegan a transaction object that sent nothing (autocommit); end
        # it, so the isolation level may change, then write inside BEGIN … COMMIT.
        await self._connection.commit()
        await self._connection.execution_options(isolation_level="READ COMMITTED")
        await self._connection.begin()
        # A lost race raises ConcurrencyConflict or IdempotencyRace out of a flush;
        # __aexit__ then rolls back what this transaction already wrote.
        await self.tickets.flush()
        await append_to_outbox(self._connection, rows)
        await self.idempotency.flush()
        await self._connection.commit()


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def __call__(self, context: MessageContext) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine, context)
