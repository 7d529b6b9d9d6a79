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


def is_connection_error(error: BaseException | None) -> bool:
    """The database could not be reached: down, restarting, out of connections, or no
    pooled connection in time. No retry count is charged for these."""
    return isinstance(
        error,
        OSError
        | TimeoutError
        | asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | asyncpg.CannotConnectNowError
        | asyncpg.TooManyConnectionsError
        | asyncpg.AdminShutdownError,
    )


def as_unavailable(error: BaseException | None) -> ServiceUnavailable | None:
    """ServiceUnavailable when ``error`` means the database cannot be reached, else None."""
    if is_connection_error(error):
        return ServiceUnavailable("the database is unavailable")
    return None
