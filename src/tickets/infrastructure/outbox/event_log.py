"""The outbox as a durable event log, read back for rebuilds and the broker's history.

A replay reads positioned events in position order inside one REPEATABLE READ
snapshot, optionally bounded per lane (a subscription's progress). Positions are given
in order by committed sequencer runs only, so a position bound names a fixed set of
events: nothing can later appear below it (see sequencer.py).
"""

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from tickets.domain.events import DomainEvent
from tickets.infrastructure.outbox.lanes import LANES
from tickets.infrastructure.outbox.messages import TABLE
from tickets.infrastructure.outbox.sequencer import assign_positions
from tickets.infrastructure.serialization import event_from_payload

COLUMNS = """m.id, m.position, m.lane, m.aggregate_id, m.aggregate_version, m.event_type,
             m.payload, m.metadata ->> 'correlation_id' AS cid"""
BOUNDED = "m.position IS NOT NULL AND m.position <= ($1::bigint[])[m.lane + 1]"
BETWEEN = f"""
SELECT {COLUMNS} FROM unnest($1::smallint[], $2::bigint[], $3::bigint[]) AS l(lane, lo, hi)
 CROSS JOIN LATERAL (SELECT * FROM {TABLE} m WHERE m.lane = l.lane AND m.position > l.lo
                        AND m.position <= l.hi ORDER BY m.position) m
"""
OF_TICKET = f"""
SELECT {COLUMNS} FROM {TABLE} m
 WHERE m.aggregate_id = $1 AND m.aggregate_version >= $2 AND m.aggregate_version < $3
   AND m.position IS NOT NULL AND m.position <= ($4::bigint[])[m.lane + 1]
 ORDER BY m.aggregate_version
"""
EVERYWHERE = 2**62


@dataclass(frozen=True)
class LoggedEvent:
    message_id: UUID
    position: int
    event: DomainEvent
    correlation_id: str | None = None


def everything() -> dict[int, int]:
    """A bound that takes every positioned event."""
    return dict.fromkeys(range(LANES), EVERYWHERE)


class EventLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def count(self, bounds: Mapping[int, int] | None = None) -> int:
        return int(
            await self.pool.fetchval(
                f"SELECT count(*) FROM {TABLE} m WHERE {BOUNDED}",
                _bounds(everything() if bounds is None else bounds),
            )
        )

    async def replay(
        self,
        batch: int = 2000,
        bounds: Mapping[int, int] | None = None,
        parked: Mapping[UUID, int] | None = None,
    ) -> AsyncGenerator[list[LoggedEvent], None]:
        """Events at or below each lane's bound, in position order, in batches; a
        ticket in ``parked`` only below its version there."""
        held = parked or {}
        if bounds is None:  # everything: what has committed by now, positioned first
            while await assign_positions(self.pool) > 0:
                pass
        async with (
            self.pool.acquire() as connection,
            connection.transaction(isolation="repeatable_read", readonly=True),
        ):
            query = f"SELECT {COLUMNS} FROM {TABLE} m WHERE {BOUNDED} ORDER BY m.position"
            chunk: list[LoggedEvent] = []
            async for row in connection.cursor(
                query, _bounds(everything() if bounds is None else bounds), prefetch=batch
            ):
                if row["aggregate_version"] >= held.get(row["aggregate_id"], EVERYWHERE):
                    continue
                chunk.append(_logged(row))
                if len(chunk) >= batch:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

    async def between(self, low: Mapping[int, int], high: Mapping[int, int]) -> list[LoggedEvent]:
        """Events of each lane after ``low`` and at or below ``high``."""
        lanes = list(high)
        rows = await self.pool.fetch(
            BETWEEN, lanes, [low.get(lane, 0) for lane in lanes], [high[lane] for lane in lanes]
        )
        return [_logged(r) for r in rows]

    async def of_ticket(
        self, ticket: UUID, from_version: int, before_version: int, bounds: Mapping[int, int]
    ) -> list[LoggedEvent]:
        """A ticket's events in a version range, at or below its lane's bound."""
        rows = await self.pool.fetch(
            OF_TICKET, ticket, from_version, before_version, _bounds(bounds)
        )
        return [_logged(r) for r in rows]


def _bounds(bounds: Mapping[int, int]) -> list[int]:
    return [bounds.get(lane, 0) for lane in range(LANES)]


def _logged(row: asyncpg.Record) -> LoggedEvent:
    event = event_from_payload(row["event_type"], row["payload"])
    return LoggedEvent(row["id"], row["position"], event, row["cid"])
