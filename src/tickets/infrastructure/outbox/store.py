"""The outbox table as a work queue: claims with leases, per-ticket head of line.

Correctness rests on three rules, each enforced in SQL below:
- only a ticket's *head* (its lowest version not yet processed or discarded) can be
  claimed, so a ticket's events are delivered in version order, and a dead head holds
  its later events back while other tickets flow;
- a claim is a lease (claimed_by, claimed_until) committed in its own short
  transaction; a crashed worker's leases simply expire;
- rows are selected by status, never by "position > last seen", so a row whose
  transaction commits late (a lower position committing after a higher one) is
  still claimed: nothing is skipped.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from tickets.infrastructure.outbox.messages import TABLE as T
from tickets.infrastructure.outbox.messages import OutboxMessage
from tickets.infrastructure.outbox.retry import RetryPolicy

# FOR UPDATE SKIP LOCKED: concurrent claimers never block on, or take, each other's
# heads. A ticket's later versions are claimed with its head (they cannot be anyone
# else's head while it is unfinished), capped per ticket to bound a batch.
CLAIM = f"""
WITH heads AS (
    SELECT m.aggregate_id, m.aggregate_version AS head_version
      FROM {T} m
     WHERE m.status = 'pending'
       AND m.next_attempt_at <= now()
       AND (m.claimed_until IS NULL OR m.claimed_until < now())
       AND NOT EXISTS (
             SELECT 1 FROM {T} earlier
              WHERE earlier.aggregate_id = m.aggregate_id
                AND earlier.aggregate_version < m.aggregate_version
                AND earlier.status IN ('pending', 'dead'))
     ORDER BY m.position
     LIMIT $2
       FOR UPDATE SKIP LOCKED
)
UPDATE {T} o
   SET claimed_by = $1, claimed_until = now() + make_interval(secs => $3)
  FROM heads
 WHERE o.aggregate_id = heads.aggregate_id
   AND o.status = 'pending'
   AND o.aggregate_version >= heads.head_version
   AND o.aggregate_version < heads.head_version + $4
RETURNING o.id, o.position, o.aggregate_id, o.aggregate_version, o.event_type,
          o.payload, o.metadata ->> 'correlation_id' AS correlation_id, o.attempts,
          o.occurred_at, o.metadata ->> 'traceparent' AS traceparent,
          o.metadata ->> 'tracestate' AS tracestate
"""

# Rows are locked in id order first: two workers settling overlapping sets (possible
# after a lease expired under a slow worker) then wait for each other, never deadlock.
LOCKED = f"SELECT id FROM {T} WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE"
MARK_PROCESSED = f"""
UPDATE {T} SET status = 'processed', processed_at = now(), attempts = attempts + 1,
               claimed_by = NULL, claimed_until = NULL
 WHERE id IN ({LOCKED}) AND status = 'pending'
"""

RECORD_FAILURE = f"""
UPDATE {T} SET attempts = attempts + 1,
               last_error = $2,
               status = CASE WHEN attempts + 1 >= $3 THEN 'dead' ELSE 'pending' END,
               next_attempt_at = now() + make_interval(secs => $4),
               claimed_by = NULL, claimed_until = NULL
 WHERE id = $1 AND status = 'pending'
RETURNING attempts, status
"""

RECORD_ATTEMPT = """
INSERT INTO tickets.outbox_attempts (message_id, attempt, handler, error) VALUES ($1, $2, $3, $4)
"""

# An outage is not the message's fault: no attempt is counted, so it is never parked
# as dead for it; it only waits (and its ticket's later versions wait behind it).
POSTPONE = f"""
UPDATE {T} SET claimed_by = NULL, claimed_until = NULL, last_error = $2,
               next_attempt_at = now() + make_interval(secs => $3)
 WHERE id IN ({LOCKED}) AND status = 'pending'
"""

RELEASE = f"""
UPDATE {T} SET claimed_by = NULL, claimed_until = NULL
 WHERE id IN ({LOCKED}) AND claimed_by = $2 AND status = 'pending'
"""

NOT_HELD = f"""NOT EXISTS (SELECT 1 FROM {T} d WHERE d.aggregate_id = m.aggregate_id
                             AND d.aggregate_version < m.aggregate_version
                             AND d.status = 'dead')"""

PENDING = f"SELECT count(*) FROM {T} WHERE status = 'pending'"
HAS_DELIVERABLE = f"SELECT EXISTS (SELECT 1 FROM {T} m WHERE m.status = 'pending' AND {NOT_HELD})"

# Cheap on any backlog: the dead letters are few and indexed (ix_outbox_dead), the held
# rows are found from them, the oldest deliverable is the first by position (the claim
# order) that no dead letter holds, and pending is counted only up to $1.
STATS = f"""
WITH dead AS MATERIALIZED (
    SELECT aggregate_id, min(aggregate_version) AS version, count(*) AS n
      FROM {T} WHERE status = 'dead' GROUP BY aggregate_id
)
SELECT (SELECT count(*) FROM (SELECT FROM {T} WHERE status = 'pending' LIMIT $1) p) AS pending,
       (SELECT coalesce(sum(n), 0) FROM dead)::bigint AS dead,
       (SELECT count(*) FROM dead d JOIN {T} m ON m.aggregate_id = d.aggregate_id
           AND m.aggregate_version > d.version AND m.status = 'pending') AS held,
       (SELECT m.occurred_at FROM {T} m
         WHERE m.status = 'pending'
           AND NOT EXISTS (SELECT 1 FROM dead d WHERE d.aggregate_id = m.aggregate_id
                                                  AND d.version < m.aggregate_version)
         ORDER BY m.position LIMIT 1) AS oldest
"""

PENDING_COUNT_CAP = 100_000
"""How far pending messages are counted: a count costs time in proportion to it (the
metrics ask every few seconds, on every worker); a bigger backlog reads as this many,
and the oldest pending age tells how far behind delivery is."""


@dataclass(frozen=True)
class Failure:
    message: OutboxMessage
    handler: str
    error: str
    retry_after: float | None = None
    """Set for an outage of the handler's downstream: retry then, uncharged."""


@dataclass(frozen=True)
class QueueStats:
    pending: int
    held: int
    dead: int
    oldest_pending: datetime | None


class OutboxStore:
    def __init__(self, pool: asyncpg.Pool, policy: RetryPolicy) -> None:
        self.pool = pool
        self.policy = policy

    async def claim(
        self, worker: str, batch: int, lease_seconds: float, per_ticket: int = 50
    ) -> list[OutboxMessage]:
        rows = await self.pool.fetch(CLAIM, worker, batch, float(lease_seconds), per_ticket)
        messages = [OutboxMessage.of(r) for r in rows]
        messages.sort(key=lambda m: m.position)
        return messages

    async def mark_processed(self, ids: list[UUID]) -> None:
        if ids:
            await self.pool.execute(MARK_PROCESSED, ids)

    async def release(self, ids: list[UUID], worker: str) -> None:
        if ids:
            await self.pool.execute(RELEASE, ids, worker)

    async def postpone(self, failures: list[Failure]) -> None:
        """Leave these messages pending, uncharged, until their ``retry_after``."""
        if failures:
            delay = max(f.retry_after or 0.0 for f in failures)
            await self.pool.execute(
                POSTPONE, [f.message.id for f in failures], failures[0].error, delay
            )

    async def record_failure(self, failure: Failure) -> bool:
        """Count the attempt and schedule a retry; True when the message is now dead."""
        attempt = failure.message.attempts + 1
        delay = self.policy.delay(attempt)
        async with self.pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                RECORD_FAILURE,
                failure.message.id,
                failure.error,
                self.policy.max_attempts,
                delay,
            )
            if row is None:  # processed or parked meanwhile by a worker that re-claimed it
                return False
            await connection.execute(
                RECORD_ATTEMPT, failure.message.id, row["attempts"], failure.handler, failure.error
            )
        return bool(row["status"] == "dead")

    async def pending(self) -> int:
        """How many messages wait for delivery, held ones included."""
        return int(await self.pool.fetchval(PENDING))

    async def has_deliverable(self) -> bool:
        """Is any message pending that is not held behind a dead letter?"""
        return bool(await self.pool.fetchval(HAS_DELIVERABLE))

    async def stats(self) -> QueueStats:
        """The queue's figures; ``pending`` is counted up to PENDING_COUNT_CAP."""
        row = await self.pool.fetchrow(STATS, PENDING_COUNT_CAP)
        assert row is not None
        return QueueStats(row["pending"], row["held"], row["dead"], row["oldest"])
