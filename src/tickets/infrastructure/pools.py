"""The service's asyncpg pools (commands, admin, read side, the outbox worker's) and
single connections, all with JSON codecs and bounded waits. The one place that builds
them.

Every wait on the database is bounded: connecting (``connect_timeout``), each
statement (``command_timeout``) and waiting for a free pooled connection. So a
database that refuses connections or accepts them and never answers fails a request
in seconds, as ServiceUnavailable, instead of holding it for a minute. The outbox
worker's waits have a longer bound of their own: nobody waits on a batch, and a
connection or a statement slowed by load is not a lost database.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from tickets.infrastructure.database import as_unavailable

PoolConnection: TypeAlias = PoolConnectionProxy
"""A connection a pool lends."""

# The command pool's session settings. Plan every statement once per connection: the
# write's generic plan (primary-key lookups) is the plan a custom one would choose, but
# PostgreSQL's cost comparison keeps replanning it on every call.
COMMAND_SESSION = {"plan_cache_mode": "force_generic_plan"}


async def nothing_to_reset(connection: asyncpg.Connection) -> None:
    """The reset of the app's pools on release. The default runs a reset query (a
    round trip) on every release; a unit of work, a read-model query, the worker and
    the admin operations leave no session state behind (no SET, LISTEN, open cursor or
    advisory lock: the worker listens on a connection of its own, cursors live inside
    a transaction), and the pool itself rolls back a transaction left open."""


@dataclass(frozen=True)
class Timeouts:
    connect: float = 2.0
    command: float = 4.0


async def _init(connection: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(
    url: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    timeouts: Timeouts = Timeouts(),
    reset: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
    server_settings: dict[str, str] | None = None,
) -> asyncpg.Pool:
    """``reset`` replaces the reset query run when a connection is released;
    ``server_settings`` are session settings of every connection."""
    return await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=_init,
        timeout=timeouts.connect,
        command_timeout=timeouts.command,
        reset=reset,
        server_settings=server_settings,
    )


@dataclass(frozen=True)
class ServicePools:
    """The pools one service process holds, each ``size`` connections at most."""

    command: asyncpg.Pool
    """Units of work only, so the worker's batches never make a request wait."""
    write: asyncpg.Pool
    """The write database for everything else: dead letters, roles, the CLI's reads."""
    read: asyncpg.Pool
    """The read model's database: the write pool itself when both are one database."""
    worker: asyncpg.Pool
    """The outbox worker's, on the write database: empty until a worker runs here."""
    worker_read: asyncpg.Pool
    """The outbox worker's on the read database: ``worker`` when both are one."""


@asynccontextmanager
async def service_pools(
    url: str, read_url: str, *, size: int, timeouts: Timeouts, worker_timeouts: Timeouts
) -> AsyncIterator[ServicePools]:
    """Open the service's pools on ``url`` (and ``read_url``); closed when the block exits.
    The worker's pools wait on the database as long as ``worker_timeouts`` say."""
    async with AsyncExitStack() as stack:
        command = await create_pool(
            url,
            max_size=size,
            timeouts=timeouts,
            reset=nothing_to_reset,
            server_settings=COMMAND_SESSION,
        )
        stack.push_async_callback(command.close)
        write = await create_pool(url, max_size=size, timeouts=timeouts, reset=nothing_to_reset)
        stack.push_async_callback(write.close)
        read = write
        if read_url != url:
            read = await create_pool(
                read_url, max_size=size, timeouts=timeouts, reset=nothing_to_reset
            )
            stack.push_async_callback(read.close)
        worker = await create_pool(
            url, min_size=0, max_size=size, timeouts=worker_timeouts, reset=nothing_to_reset
        )
        stack.push_async_callback(worker.close)
        worker_read = worker
        if read_url != url:
            worker_read = await create_pool(
                read_url,
                min_size=0,
                max_size=size,
                timeouts=worker_timeouts,
                reset=nothing_to_reset,
            )
            stack.push_async_callback(worker_read.close)
        yield ServicePools(command, write, read, worker, worker_read)


async def connect(url: str, timeouts: Timeouts = Timeouts()) -> asyncpg.Connection:
    connection = await asyncpg.connect(
        url, timeout=timeouts.connect, command_timeout=timeouts.command
    )
    await _init(connection)
    return connection


class Connections:
    """Lends pooled connections; a lost database raises ServiceUnavailable."""

    def __init__(self, pool: asyncpg.Pool, timeouts: Timeouts = Timeouts()) -> None:
        self._pool = pool
        self._timeouts = timeouts

    def __call__(self) -> "Lent":
        return Lent(self._pool, self._timeouts.connect)


class Lent:
    """One connection lent for an ``async with`` block, waited for at most ``wait``
    seconds (then ServiceUnavailable). A class rather than an asynccontextmanager: every
    query and every unit of work passes here, and a generator-based manager costs more
    per call (docs/benchmarks.md)."""

    __slots__ = ("_connection", "_pool", "_wait")

    _connection: PoolConnection

    def __init__(self, pool: asyncpg.Pool, wait: float) -> None:
        self._pool = pool
        self._wait = wait

    async def __aenter__(self) -> PoolConnection:
        try:
            # The bound as a deadline on this task rather than acquire(timeout=): on
            # Python 3.11 asyncpg applies that one through wait_for, a task of its own
            # per acquire. A cancelled wait hands its place back (asyncpg's acquire).
            async with asyncio.timeout(self._wait):
                self._connection = await self._pool.acquire()
        except Exception as error:
            raise as_unavailable(error) or error from error
        return self._connection

    async def __aexit__(self, kind: object, error: BaseException | None, tb: object) -> None:
        connection = self._connection
        try:
            unavailable = as_unavailable(error)
            if unavailable is not None:
                # Not handed back for reuse: a connection whose statement timed out may
                # still wait for its cancellation, which a silent server never answers.
                with contextlib.suppress(asyncpg.InterfaceError):  # the pool dropped it
                    connection.terminate()
                raise unavailable from error
        finally:
            if error is None:
                # No timer for this release: a connection back from a block that raised
                # nothing has no cancelled statement to wait for, and its reset (a
                # ROLLBACK at most) is bounded by the statement timeout. A timer per
                # release is a cost on every query (docs/benchmarks.md).
                await self._pool.release(connection)
            else:
                await self._pool.release(connection, timeout=self._wait)
