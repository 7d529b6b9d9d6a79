"""The unit of work on PostgreSQL: a command's ticket rows, outbox rows and idempotency
record are written atomically, on one pooled asyncpg connection.

Reads run on their own (autocommit): optimistic versions, not a long transaction, keep
a command correct, because every ticket write is guarded by the version it loaded. The
writes happen at ``commit``, through ``write``: one command's change is one statement
of command_writes, anything else goes to batch_writes.
"""

from collections.abc import Sequence
from types import TracebackType
from typing import Self

import asyncpg

from tickets.application.errors import ConcurrencyConflict, IdempotencyRace
from tickets.application.ports import MessageContext
from tickets.infrastructure.batch_writes import write_many
from tickets.infrastructure.command_writes import is_one_command, statement
from tickets.infrastructure.idempotency import SqlIdempotencyStore
from tickets.infrastructure.outbox_wake_ups import OutboxWakeUps
from tickets.infrastructure.pools import Lent, PoolConnection
from tickets.infrastructure.ticket_changes import IdempotencyRecord, TicketChange
from tickets.infrastructure.ticket_repository import SqlTicketRepository
from tickets.infrastructure.user_repository import SqlUserRepository
from tickets.tracing import state as tracing

# Waiting longer than this for a pooled connection means the database is overwhelmed
# or away: the command is refused as ServiceUnavailable rather than queued forever.
ACQUIRE_TIMEOUT_SECONDS = 5.0


class SqlUnitOfWork:
    tickets: SqlTicketRepository
    users: SqlUserRepository
    idempotency: SqlIdempotencyStore
    _connection: PoolConnection

    def __init__(
        self, pool: asyncpg.Pool, context: MessageContext, wake_ups: OutboxWakeUps | None
    ) -> None:
        self._lent = Lent(pool, ACQUIRE_TIMEOUT_SECONDS)
        self._context = context
        self._wake_ups = wake_ups

    async def __aenter__(self) -> Self:
        connection = await self._lent.__aenter__()
        self._connection = connection
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
        # Nothing is left open to roll back: a write is one statement, or a transaction
        # block that has ended (see write).
        await self._lent.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        """Write everything, atomically. ConcurrencyConflict if another command changed
        a ticket after this one loaded it; IdempotencyRace if another request stored
        this idempotency key first. Either way nothing of this unit of work is stored."""
        record = self.idempotency.pull_record()
        changes = self.tickets.pull_changes()
        try:
            if tracing.TRACER is None:
                await write(self._connection, changes, self._context, record)
            else:
                from tickets.tracing.database import write_span

                with write_span(sum(len(change.events) for change in changes)):
                    await write(self._connection, changes, self._context, record)
        except ConcurrencyConflict:
            # A retried request racing its first attempt loses the version guard (both
            # changed the same ticket), not the key: if the key is stored now, the
            # first attempt committed, and the bus replays its response.
            if record is not None and await self.idempotency.get(record.scope, record.key):
                raise IdempotencyRace() from None
            raise
        if self._wake_ups is not None and any(change.events for change in changes):
            self._wake_ups.after_commit()  # the outbox rows are committed: wake a worker


class SqlUnitOfWorkFactory:
    def __init__(self, pool: asyncpg.Pool, wake_ups: OutboxWakeUps | None = None) -> None:
        self._pool = pool
        self._wake_ups = wake_ups

    def __call__(self, context: MessageContext) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._pool, context, self._wake_ups)


async def write(
    connection: PoolConnection,
    changes: Sequence[TicketChange],
    context: MessageContext,
    record: IdempotencyRecord | None,
) -> None:
    """Write the changes, their outbox rows and the record, all or nothing.

    ConcurrencyConflict if another command changed a ticket after it was loaded;
    IdempotencyRace if another request stored the record's key first.
    """
    if not changes and record is None:
        return
    try:
        if len(changes) == 1 and is_one_command(changes[0]):
            written = await connection.fetchval(*statement(changes[0], context, record))
        else:
            written = await write_many(connection, changes, context, record)
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name == "idempotency_keys_pkey":
            raise IdempotencyRace() from error
        raise
    except asyncpg.DeadlockDetectedError as error:
        # Two batches updating the same tickets in different orders: one loses.
        raise ConcurrencyConflict() from error
    if written != len(changes):
        raise ConcurrencyConflict()
