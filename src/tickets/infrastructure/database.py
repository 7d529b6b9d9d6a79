"""Database URLs, and translation of connection failures into ServiceUnavailable."""

import asyncpg
from sqlalchemy.engine import make_url

from tickets.application.errors import ServiceUnavailable


def sqlalchemy_url(url: str) -> str:
    """A ``postgresql://`` URL rewritten for SQLAlchemy's asyncpg dialect (migrations)."""
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise ValueError(f"only PostgreSQL URLs are supported, got {parsed.drivername!r}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


# Errors after which the connection cannot be used again, whatever the statement was:
# the server is going away (shutdown, crash, idle timeouts end the session), or the
# client's protocol state is broken. asyncpg raises InternalClientError ("cannot switch
# to state ...; another operation is in progress") when the server dies mid-operation.
_CONNECTION_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,  # ConnectionDoesNotExistError, ConnectionFailureError
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.IdleSessionTimeoutError,
    asyncpg.IdleInTransactionSessionTimeoutError,
    asyncpg.InternalClientError,
)
# An InternalClientError that leaves the connection usable: the statement cache is
# stale after a schema change; the next attempt prepares the statement again.
_USABLE_AFTER = (asyncpg.OutdatedSchemaCacheError,)


def is_connection_error(error: BaseException | None) -> bool:
    """The database could not be reached or the connection is unusable: down,
    restarting, crashing, out of connections, or no pooled connection in time. This is
    the one place that decides; the API answers these with 503 and the worker takes its
    outage path. No retry count is charged for these."""
    return isinstance(error, _CONNECTION_ERRORS) and not isinstance(error, _USABLE_AFTER)


def as_unavailable(error: BaseException | None) -> ServiceUnavailable | None:
    """ServiceUnavailable when ``error`` means the database cannot be reached, else None."""
    if is_connection_error(error):
        return ServiceUnavailable("the database is unavailable")
    return None
