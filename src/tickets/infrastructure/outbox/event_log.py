"""The outbox as a durable event log, read back for projection rebuilds.

A replay reads every event once, in position order, inside one REPEATABLE READ
snapshot. Events committed later, including ones with a *lower* position whose
transaction was still open when the snapshot was taken (the sequence gap), are found
afterwards by `since()`: positions above the highest one replayed, plus the holes
below it. Discarded messages, and every message of a ticket from its dead letter on,
are left out, as live delivery leaves them out (the live worker delivers them later).
"""

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg

from tickets.domain.events import DomainEvent
from tickets.infrastructure.outbox.messages import TABLE as T
from tickets.infrastructure.serialization import event_from_payload
from tickets.infrastructure.upcasting import current_type

DELIVERABLE = f"""m.status <> 'discarded' AND NOT EXISTS (
    SELECT 1 FROM {T} d WHERE d.aggregate_id = m.aggregate_id AND d.status = 'dead'
       AND d.aggregate_version <= m.aggregate_version)"""
COLUMNS = "m.id, m.position, m.event_type, m.payload, m.metadata ->> 'correlation_id' AS cid"


@dataclass(frozen=True)
class LoggedEvent:
    message_id: UUID
    position: int
    event: DomainEvent
    correlation_id: str | None = None


@dataclass
class ReplayMark:
    """How far a replay got: its highest position and the holes below it."""

    high: int = 0
    holes: list[tuple[int, int]] = field(default_factory=list)


class EventLog:
    """One replay's view of the log: ``replay()`` first, then ``since()``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.mark = ReplayMark()

    async def count(self) -> int:
        return int(await self.pool.fetchval(f"SELECT count(*) FROM {T} m WHERE {DELIVERABLE}"))

    async def replay(self, batch: int = 2000) -> AsyncGenerator[list[LoggedEvent], None]:
        """Every deliverable event in position order, in batches; sets ``self.mark``."""
        mark = self.mark = ReplayMark()
        async with (
            self.pool.acquire() as connection,
            connection.transaction(isolation="repeatable_read", readonly=True),
        ):
            query = f"SELECT {COLUMNS} FROM {T} m WHERE {DELIVERABLE} ORDER BY m.position"
            chunk: list[LoggedEvent] = []
            async for row in connection.cursor(query, prefetch=batch):
                if row["position"] > mark.high + 1:
                    mark.holes.append((mark.high + 1, row["position"] - 1))
                mark.high = row["position"]
                chunk.append(_logged(row))
                if len(chunk) >= batch:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

    async def since(self) -> list[LoggedEvent]:
        """Deliverable events the replay could not see: above its high mark or in a hole."""
        mark = self.mark
        lows = [lo for lo, _ in mark.holes]
        highs = [hi for _, hi in mark.holes]
        rows = await self.pool.fetch(
            f"""SELECT {COLUMNS} FROM {T} m
                 WHERE {DELIVERABLE}
                   AND (m.position > $1 OR EXISTS (
                        SELECT 1 FROM unnest($2::bigint[], $3::bigint[]) AS h(lo, hi)
                         WHERE m.position BETWEEN h.lo AND h.hi))
                 ORDER BY m.position""",
            mark.high,
            lows,
            highs,
        )
        return [_logged(r) for r in rows]

    async def pending(self) -> list[tuple[UUID, str, float]]:
        """Messages not yet processed: (id, event type, age in seconds)."""
        rows = await self.pool.fetch(
            f"""SELECT id, event_type, extract(epoch FROM now() - occurred_at)::float8 AS age
                  FROM {T} WHERE status = 'pending' ORDER BY position LIMIT 100000"""
        )
        return [(r["id"], current_type(r["event_type"]), r["age"]) for r in rows]


def _logged(row: asyncpg.Record) -> LoggedEvent:
    event = event_from_payload(row["event_type"], row["payload"])
    return LoggedEvent(row["id"], row["position"], event, row["cid"])
