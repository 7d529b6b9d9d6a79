"""Rebuild a projection from the event log into fresh tables, then swap them in.

The read model is one subscription with a position per lane (and parked tickets). A
rebuild makes the shadow tables equal to the live ones at the moment of the swap:
1. It reads the subscription's positions and parked tickets, and replays the log up
   to those positions into shadow tables (``<table>_rebuild``), leaving out each parked
   ticket from its parked version on. Live tables keep serving reads and receiving
   events.
2. The swap runs in one transaction on the read database. It locks the subscription's
   lanes and parked tickets against writers (every delivery starts by advancing a lane,
   every redelivery ends by updating a parked ticket, so both pause; reads do not),
   reads them again and applies to the shadow what changed since step 1: each lane's
   events between the two positions, and the events of tickets unparked (or parked
   later) since. Then it renames the tables. The positions are untouched: delivery
   goes on from them into the new tables. Nothing is lost, nothing applied twice.
"""

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Protocol
from uuid import UUID

import asyncpg

from tickets.domain.events import DomainEvent
from tickets.readmodel.catalog import READ_MODEL, READ_SCHEMA, Projection, Rebuildable
from tickets.readmodel.connection import Connection
from tickets.tracing.operation import Operation, operation

SUFFIX = "_rebuild"
LANES = f"SELECT lane, position FROM {READ_SCHEMA}.subscription_lanes WHERE subscription = $1"
PARKED = f"""SELECT aggregate_id, from_version FROM {READ_SCHEMA}.subscription_parked
              WHERE subscription = $1"""
LOCK = (
    f"LOCK TABLE {READ_SCHEMA}.subscription_lanes, {READ_SCHEMA}.subscription_parked"
    " IN EXCLUSIVE MODE"
)
NEVER = 2**31 - 1


class Logged(Protocol):
    @property
    def message_id(self) -> UUID: ...

    @property
    def event(self) -> DomainEvent: ...


class EventSource(Protocol):
    async def count(self, bounds: Mapping[int, int] | None = None) -> int: ...

    def replay(
        self,
        batch: int = 2000,
        bounds: Mapping[int, int] | None = None,
        parked: Mapping[UUID, int] | None = None,
    ) -> AsyncIterator[Sequence[Logged]]: ...

    async def between(
        self, low: Mapping[int, int], high: Mapping[int, int]
    ) -> Sequence[Logged]: ...

    async def of_ticket(
        self, ticket: UUID, from_version: int, before_version: int, bounds: Mapping[int, int]
    ) -> Sequence[Logged]: ...


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
    projection = target.build(SUFFIX)
    async with pool.acquire() as connection:
        lanes, parked = await _progress(connection)
        total = await log.count(lanes)
        span.progress("replay started", **{"tickets.rebuild.total": total})
        await _prepare_shadow(connection, target)
        applied = 0
        async for chunk in log.replay(bounds=lanes, parked=parked):
            applied += await _apply(connection, projection, chunk)
            span.progress("replayed", **{"tickets.rebuild.applied": applied})
            if progress:
                progress(applied, total)
        span.progress("catching up and swapping", **{"tickets.rebuild.applied": applied})
        async with connection.transaction():
            await connection.execute(LOCK)
            now_lanes, now_parked = await _progress(connection)
            missing = {e.message_id: e for e in await log.between(lanes, now_lanes)}
            for ticket, from_version in parked.items():
                until = now_parked.get(ticket, NEVER)
                if until > from_version:  # unparked or parked later since the replay
                    for e in await log.of_ticket(ticket, from_version, until, now_lanes):
                        missing[e.message_id] = e
            catch_up = [
                e
                for e in missing.values()
                if now_parked.get(e.event.ticket_id, NEVER) > e.event.version
            ]
            applied += await _apply(connection, projection, catch_up, False)
            for table in target.tables:
                schema, name = table.split(".")
                await connection.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                await connection.execute(f"ALTER TABLE {table} RENAME TO {name}_old")
                await connection.execute(f"ALTER TABLE {table}{SUFFIX} RENAME TO {name}")
                await connection.execute(f"DROP TABLE {schema}.{name}_old")
    return applied


async def _progress(connection: Connection) -> tuple[dict[int, int], dict[UUID, int]]:
    lanes = {r["lane"]: r["position"] for r in await connection.fetch(LANES, READ_MODEL)}
    parked = {r[0]: r[1] for r in await connection.fetch(PARKED, READ_MODEL)}
    return lanes, parked


async def _prepare_shadow(connection: Connection, target: Rebuildable) -> None:
    async with connection.transaction():
        for table in target.tables:
            await connection.execute(f"DROP TABLE IF EXISTS {table}{SUFFIX}")
            await connection.execute(f"CREATE TABLE {table}{SUFFIX} (LIKE {table} INCLUDING ALL)")


async def _apply(
    connection: Connection,
    projection: Projection,
    chunk: Sequence[Logged],
    own_transaction: bool = True,
) -> int:
    wanted = [e.event for e in chunk if e.event.event_type in projection.event_types]
    if not wanted:
        return 0
    if own_transaction:
        async with connection.transaction():
            await projection.apply_batch(connection, wanted)
    else:
        await projection.apply_batch(connection, wanted)
    return len(wanted)
