"""The event log as subscriptions read it: claims by position, a ticket's events, lag.

Every read is an index-ordered scan from a known position with a LIMIT, so its cost is
bounded by the batch, never by the backlog, whatever the planner statistics say; the
claim runs with seq and bitmap scans off so stale statistics cannot pick another plan
(docs/design.md, "Delivery").
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from tickets.infrastructure.outbox.messages import COLUMNS, TABLE, OutboxMessage
from tickets.infrastructure.outbox.retry import RetryPolicy
from tickets.infrastructure.outbox.sequencer import assign_positions

# One statement, one snapshot: the head and every lane's page are read together (see
# tickets.claim_pages, migration 0006). Rows at or below the head all have their
# positions (given by committed sequencer runs, in order), so a page read from a lane's
# position never misses one that could appear later below it. The function turns seq
# and bitmap scans off for itself, so stale statistics cannot change its plan, and JIT
# (the disabled scans' costs would make every call compile its plan).
CLAIM = "SELECT * FROM tickets.claim_pages($1::smallint[], $2::bigint[], $3)"
# The claim for a subscription that skips some event types: the same pages, but a skipped
# row comes back only when it ends its lane's page (so the lane still moves past it), and
# without its payload; ``scanned`` counts the whole page. The outer query only filters
# the function's rows, so the function's plan is the one above.
CLAIM_SKIPPING = """
SELECT c.id, c.position, c.lane, c.aggregate_id, c.aggregate_version, c.event_type,
       CASE WHEN c.skip THEN '{}'::jsonb ELSE c.payload END AS payload, c.correlation_id,
       c.occurred_at, c.traceparent, c.tracestate, c.scanned
  FROM (SELECT p.*, p.event_type = ANY($4::text[]) AS skip, count(*) OVER () AS scanned,
               max(p.position) OVER (PARTITION BY p.lane) AS last
          FROM tickets.claim_pages($1::smallint[], $2::bigint[], $3) p) c
 WHERE NOT c.skip OR c.position = c.last
"""
PLAN_GUARD = (
    "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL jit = off"
)
"""For statements of the same shape outside the function (the benchmark's EXPLAIN)."""
CLAIM_BODY = f"""
SELECT {COLUMNS}
  FROM unnest($1::smallint[], $2::bigint[]) AS l(lane, after)
 CROSS JOIN LATERAL (
       SELECT * FROM {TABLE} m
        WHERE m.lane = l.lane AND m.position > l.after
          AND m.position <= (SELECT position FROM tickets.outbox_head)
        ORDER BY m.position LIMIT $3) m
"""
"""The function's body, to EXPLAIN under PLAN_GUARD."""

TICKET_EVENTS = f"""
SELECT {COLUMNS} FROM {TABLE} m
 WHERE m.aggregate_id = $1 AND m.aggregate_version >= $2
   AND m.position IS NOT NULL AND m.position <= $3
 ORDER BY m.aggregate_version LIMIT $4
"""

HEAD = "SELECT position FROM tickets.outbox_head"
INDEX_PLANS = (
    "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL jit = off"
)
UNPOSITIONED = f"SELECT count(*) FROM (SELECT FROM {TABLE} WHERE position IS NULL LIMIT $1) u"
OLDEST_UNPOSITIONED = f"""SELECT occurred_at FROM {TABLE} WHERE position IS NULL
                          ORDER BY seq LIMIT 1"""

# Per lane: how many rows after the position (counted up to a cap), and the oldest.
LAG = f"""
SELECT coalesce(sum((SELECT count(*) FROM (SELECT FROM {TABLE} m
                      WHERE m.lane = l.lane AND m.position > l.after LIMIT $3) c)), 0)::bigint
           AS behind,
       min((SELECT m.occurred_at FROM {TABLE} m WHERE m.lane = l.lane AND m.position > l.after
             ORDER BY m.position LIMIT 1)) AS oldest
  FROM unnest($1::smallint[], $2::bigint[]) AS l(lane, after)
"""

LAG_COUNT_CAP = 100_000
"""How far a lane's backlog is counted: a count costs time in proportion to it."""


@dataclass(frozen=True)
class Lag:
    events: int
    oldest: datetime | None


class OutboxStore:
    def __init__(self, pool: asyncpg.Pool, policy: RetryPolicy) -> None:
        self.pool = pool
        self.policy = policy

    async def sequence(self, max_runs: int = 1) -> int:
        """Position what has committed (see sequencer.py), in up to ``max_runs`` runs of
        5000 rows. One by default: a delivery loop delivers what is positioned while
        another loop positions the next run."""
        total = 0
        for _ in range(max_runs):
            n = await assign_positions(self.pool)
            total += n
            if n < 5000:
                break
        return total

    async def claim(self, lanes: Mapping[int, int], batch: int) -> list[OutboxMessage]:
        """About ``batch`` messages after the lanes' positions (an equal share per lane),
        in position order."""
        if not lanes:
            return []
        per_lane = max(1, -(-batch // len(lanes)))
        rows = await self.pool.fetch(CLAIM, list(lanes), list(lanes.values()), per_lane)
        messages = [OutboxMessage.of(r) for r in rows]
        messages.sort(key=lambda m: m.position)
        return messages

    async def claim_skipping(
        self, lanes: Mapping[int, int], batch: int, skip: Sequence[str]
    ) -> tuple[list[OutboxMessage], int]:
        """Like ``claim``, without the events of the ``skip`` types except the last of
        each lane's page (with an empty payload: it only moves the lane); and how many
        messages the page held."""
        if not skip:
            page = await self.claim(lanes, batch)
            return page, len(page)
        if not lanes:
            return [], 0
        per_lane = max(1, -(-batch // len(lanes)))
        rows = await self.pool.fetch(
            CLAIM_SKIPPING, list(lanes), list(lanes.values()), per_lane, list(skip)
        )
        messages = [OutboxMessage.of(r) for r in rows]
        messages.sort(key=lambda m: m.position)
        return messages, rows[0]["scanned"] if rows else 0

    async def ticket_events(
        self, aggregate_id: UUID, from_version: int, up_to: int, limit: int = 500
    ) -> list[OutboxMessage]:
        """A ticket's positioned events from a version on, up to a position."""
        rows = await self.pool.fetch(TICKET_EVENTS, aggregate_id, from_version, up_to, limit)
        return [OutboxMessage.of(r) for r in rows]

    async def head(self) -> int:
        return int(await self.pool.fetchval(HEAD))

    async def unpositioned(self, cap: int = LAG_COUNT_CAP) -> int:
        row = await self._indexed(UNPOSITIONED, cap)
        assert row is not None  # count(*) gives a row
        return int(row[0])

    async def oldest_unpositioned(self) -> datetime | None:
        """When the first event waiting for the sequencer happened (every subscription
        is behind it)."""
        row = await self._indexed(OLDEST_UNPOSITIONED)
        value: datetime | None = row[0] if row is not None else None
        return value

    async def lag(self, lanes: Mapping[int, int]) -> Lag:
        """How far behind the log these lane positions are."""
        row = await self._indexed(LAG, list(lanes), list(lanes.values()), LAG_COUNT_CAP)
        assert row is not None
        return Lag(int(row["behind"]), row["oldest"])

    async def _indexed(self, sql: str, *args: object) -> asyncpg.Record | None:
        """One row of a lag figure, planned as the sequencer and the claim are: index
        scans only. Statistics taken before a backlog (or a bulk load) make the planner
        pick a bitmap scan of every row version still in the index, which never marks the
        dead ones, so each figure read them all again (seconds at millions of rows, past
        the statement bound); an index scan reads the live rows and skips dead entries."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(INDEX_PLANS)
            return await connection.fetchrow(sql, *args)
