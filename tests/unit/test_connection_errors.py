"""Which errors mean the database connection is unusable: those answer 503
``service.unavailable`` and send the worker down its outage path."""

import asyncpg
import pytest

from tickets.application.errors import ServiceUnavailable
from tickets.infrastructure.database import as_unavailable, is_connection_error
from tickets.infrastructure.pools import Connections

LOST = [
    asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    asyncpg.ProtocolError("unexpected message"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.CrashShutdownError("terminating connection because of crash of another process"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.IdleSessionTimeoutError("terminating connection due to idle-session timeout"),
    asyncpg.IdleInTransactionSessionTimeoutError("idle-in-transaction timeout"),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.TooManyConnectionsError("too many clients"),
    asyncpg.InterfaceError("connection is closed"),
    ConnectionResetError("reset by peer"),
    OSError("network is unreachable"),
    TimeoutError(),
]
NOT_LOST = [
    asyncpg.OutdatedSchemaCacheError("cached statement plan is invalid"),
    asyncpg.UniqueViolationError("duplicate key"),
    asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
    asyncpg.SerializationError("could not serialize access"),
    ValueError("a bug"),
    None,
]


@pytest.mark.parametrize("error", LOST, ids=lambda e: type(e).__name__)
def test_an_unusable_connection_is_a_lost_database(error: BaseException) -> None:
    assert is_connection_error(error)
    assert isinstance(as_unavailable(error), ServiceUnavailable)


@pytest.mark.parametrize("error", NOT_LOST, ids=lambda e: type(e).__name__)
def test_other_errors_are_not(error: BaseException | None) -> None:
    assert not is_connection_error(error)
    assert as_unavailable(error) is None


class FakeConnection:
    terminated = False

    def terminate(self) -> None:
        self.terminated = True


class FakePool:
    def __init__(self) -> None:
        self.connection = FakeConnection()
        self.released: list[FakeConnection] = []

    async def acquire(self, timeout: float | None = None) -> FakeConnection:  # noqa: ASYNC109 - asyncpg's signature
        return self.connection

    async def release(
        self,
        connection: FakeConnection,
        timeout: float | None = None,  # noqa: ASYNC109 - asyncpg's signature
    ) -> None:
        self.released.append(connection)


async def test_a_query_cut_by_a_dying_server_is_unavailable_and_drops_its_connection() -> None:
    pool = FakePool()
    with pytest.raises(ServiceUnavailable):
        async with Connections(pool)():  # type: ignore[arg-type]
            raise asyncpg.InternalClientError(
                "cannot switch to state 12; another operation (2) is in progress"
            )
    assert pool.connection.terminated
    assert pool.released == [pool.connection]
