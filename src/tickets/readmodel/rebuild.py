"""Rebuild a projection from the event log into fresh tables, then swap them in.

1. Shadow tables (``<table>_rebuild``, same columns and indexes) are filled by
   replaying the log through the projection, with tracking rows under the name
   ``<projection>#rebuild``. Live tables keep serving reads and keep receiving events.
2. The swap runs in one transaction on the read database. It first locks the tracking
   table against writers (every projection transaction starts by inserting its
   tracking rows, so live delivery pauses; reads do not). It then applies to the
   shadow what the replay could not see (`since()`), hands the shadow's tracking rows
   to the live name, and renames the tables. An event the live side had not applied
   yet is now tracked, so it is skipped; one that arrives after the catch-up is not,
   so it is applied to the new tables. Nothing is lost, nothing is applied twice.
"""

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol
from uuid import UUID

import asyncpg

from tickets.domain.events import DomainEvent
from tickets.readmodel.catalog import TRACKING, Projection, Rebuildable
from tickets.readmodel.connection import Connection
from tickets.tracing.operation import Operation, operation

SUFFIX = "_rebuild"


class Logged(Protocol):
    @property
    def message_id(self) -> UUID: ...

    @property
    def event(self) -> DomainEvent: ...


class EventSource(Protocol):
    async def count(self) -> int: ...

    def replay(self, batch: int = 2000) -> AsyncIterator[Sequence[Logged]]: ...

    async def since(self) -> Sequence[Logged]: ...


Progress = Callable[[int, int], None]


async def rebuild(
    target: Rebuildable, pool: asyncpg.Pool, log: EventSource, progress: Progress | None = None
) -> int:
    """Rebuild ``target`` from ``log`` into shadow tables and swap them in; returns the
    number of events applied."""
    with operation(f"rebuild {target.name}", **{"tickets.projection": target.name}) as span:
        applied = await _rebuild(target, pool, log, span, progress)
        span.progress("tables swapped in", **{"tickets.rebuild.applied": applied})
    return applied


async def _rebuild(
    target: Rebuildable,
    pool: asyncpg.Pool,
    log: EventSource,
    span: Operation,
    progress: Progress | None,
) -> int:
    shadow_name = f"{target.name}#rebuild"
    projection = target.build(SUFFIX)
    total = await log.count()
    span.progress("replay started", **{"tickets.rebuild.total": total})
    async with pool.acquire() as connection:
        await _prepare_shadow(connection, target, shadow_name)
        applied = 0
        async for chunk in log.replay():
            applied += await _apply(connection, projection, shadow_name, chunk)
            span.progress("replayed", **{"tickets.rebuild.applied": applied})
            if progress:
                progress(applied, total)
        span.progress("catching up and swapping", **{"tickets.rebuild.applied": applied})
        async with connection.transaction():
            await connection.execute(f"LOCK TABLE {TRACKING} IN SHARE ROW EXCLUSIVE MODE")
            applied += await _apply(connection, projection, shadow_name, await log.since(), False)
            await connection.execute(f"DELETE FROM {TRACKING} WHERE projection = $1", target.name)
            await connection.execute(
                f"UPDATE {TRACKING} SET projection = $1 WHERE projection = $2",
                target.name,
                shadow_name,
            )
            for table in target.tables:
                schema, name = table.split(".")
                await connection.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                await connection.execute(f"ALTER TABLE {table} RENAME TO {name}_old")
                await connection.execute(f"ALTER TABLE {table}{SUFFIX} RENAME TO {name}")
                await connection.execute(f"DROP TABLE {schema}.{name}_old")
    return applied


async def _prepare_shadow(connection: Connection, target: Rebuildable, shadow_name: str) -> None:
    async with connection.transaction():
        for table in target.tables:
            await connection.execute(f"DROP TABLE IF EXISTS {table}{SUFFIX}")
            await connection.execute(f"CREATE TABLE {table}{SUFFIX} (LIKE {table} INCLUDING ALL)")
        await connection.execute(f"DELETE FROM {TRACKING} WHERE projection = $1", shadow_name)


async def _apply(
    connection: Connection,
    projection: Projection,
    shadow_name: str,
    chunk: Sequence[Logged],
    own_transaction: bool = True,
) -> int:
    wanted = [e for e in chunk if e.event.event_type in projection.event_types]
    if not wanted:
        return 0
    if own_transaction:
        async with connection.transaction():
            return await _apply(connection, projection, shadow_name, wanted, False)
    rows = await connection.fetch(
        f"INSERT INTO {TRACKING} (projection, message_id) SELECT $1, unnest($2::uuid[]) "
        "ON CONFLICT DO NOTHING RETURNING message_id",
        shadow_name,
        [e.message_id for e in wanted],
    )
    fresh = {r["message_id"] for r in rows}
    await projection.apply_batch(connection, [e.event for e in wanted if e.message_id in fresh])
    return len(fresh)
