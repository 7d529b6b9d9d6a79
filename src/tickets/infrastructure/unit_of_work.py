"""The unit of work on PostgreSQL: a command's ticket rows, outbox rows and idempotency
record are written atomically, on one pooled asyncpg connection.

Reads run on their own (autocommit): optimistic versions, not a long transaction, keep
a command correct, because every ticket write is guarded by the version it loaded. The
writes happen at ``commit``, through command_writes, the one place that writes them.
"""

from types import TracebackType
from typing import Self

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from tickets.application.errors import ConcurrencyConflict, IdempotencyRace
from tickets.application.ports import MessageContext
from tickets.infrastructure.command_writes import write
from tickets.infrastructure.database import as_unavailable
from tickets.infrastructure.idempotency import SqlIdempotencyStore
from tickets.infrastructure.outbox_wake_ups import OutboxWakeUps
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
    _connection: PoolConnectionProxy

    def __init__(
        self, pool: asyncpg.Pool, context: MessageContext, wake_ups: OutboxWakeUps | None
    ) -> None:
        self._pool = pool
        self._context = context
        self._wake_ups = wake_ups

    async def __aenter__(self) -> Self:
        try:
            connection = await self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS)
        except Exception as error:
            raise as_unavailable(error) or error from error
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
        try:
            if as_unavailable(exc) is not None:
                # Not handed back for reuse: a statement that timed out may still wait
                # for its cancellation, which a silent server never answers.
                self._connection.terminate()
            # Nothing is left open to roll back: a write is one statement, or a
            # transaction block that has ended (see command_writes.write).
            await self._pool.release(self._connection)
        except Exception as release_error:
            if exc is None:
                exc = release_error
        unavailable = as_unavailable(exc)
        if unavailable is not None:
            raise unavailable from exc

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


# The pool's session settings. Plan every statement once per connection: the write's
# generic plan (index lookups, unnest of the given arrays) is the plan a custom one
# would choose, but PostgreSQL's cost comparison keeps replanning it on every call.
COMMAND_SESSION = {"plan_cache_mode": "force_generic_plan"}


async def nothing_to_reset(connection: asyncpg.Connection) -> None:
    """The reset of the app's pools on release. The default runs a reset query (a
    round trip) on every release; a unit of work, a read-model query, the worker and
    the admin operations leave no session state behind (no SET, LISTEN, open cursor or
    advisory lock: the worker listens on a connection of its own, cursors live inside
    a transaction), and the pool itself rolls back a transaction left open."""
