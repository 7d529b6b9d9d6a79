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


def as_unavailable(error: BaseException | None) -> ServiceUnavailable | None:
    """ServiceUnavailable when ``error`` means the database cannot be reached (down,
    restarting, out of connections, or no pooled connection in time), else None."""
    lost = isinstance(
        error,
        OSError
        | TimeoutError
        | asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | asyncpg.CannotConnectNowError
        | asyncpg.TooManyConnectionsError
        | asyncpg.AdminShutdownError,
    )
    return ServiceUnavailable("the database is unavailable") if lost else None
