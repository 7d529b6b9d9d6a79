"""A subscription's progress in its home database: lane positions, leases, parked tickets.

- ``subscription_lanes``: one row per (subscription, lane) with its position and lease.
  A worker leases the lanes its rank among the live workers gives it (lanes.lanes_for);
  a lease expires, so a crashed worker's lanes are taken over.
- Every delivery transaction starts with the *fenced advance*: the lane moves from the
  position the worker read to the new one only if the worker still holds the lease and
  nobody moved it meanwhile. No row → the lease was lost: the transaction rolls back
  and nothing of it is applied. Each lane row is written by its one leaseholder, so no
  row is hot for the whole subscription.
- ``subscription_parked``: a ticket whose event failed for this subscription. The lane
  moves on without that ticket's events; the redelivery path (redelivery.py) gives
  them to the handler in order when due, and after the last attempt it is dead.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tickets.infrastructure.outbox.lanes import LANES, lanes_for
from tickets.infrastructure.outbox.messages import OutboxMessage
from tickets.infrastructure.outbox.subscriptions import Connection

ENSURE = """INSERT INTO {s}.subscription_lanes (subscription, lane)
            SELECT $1, generate_series(0, {last}) ON CONFLICT DO NOTHING"""
BEAT = """INSERT INTO {s}.delivery_workers (worker, alive_until)
          VALUES ($1, now() + make_interval(secs => $2))
          ON CONFLICT (worker) DO UPDATE SET alive_until = excluded.alive_until"""
ALIVE = "SELECT worker FROM {s}.delivery_workers WHERE alive_until > now() ORDER BY worker"
FORGET = "DELETE FROM {s}.delivery_workers WHERE alive_until < now() - interval '1 hour'"
RELEASE = """UPDATE {s}.subscription_lanes SET leased_by = NULL, lease_until = NULL
              WHERE subscription = $1 AND leased_by = $2 AND NOT (lane = ANY($3::smallint[]))"""
TAKE = """UPDATE {s}.subscription_lanes
             SET leased_by = $2, lease_until = now() + make_interval(secs => $4)
           WHERE subscription = $1 AND lane = ANY($3::smallint[])
             AND (leased_by = $2 OR leased_by IS NULL OR lease_until < now())
          RETURNING lane, position"""
RELEASE_ALL = """UPDATE {s}.subscription_lanes SET leased_by = NULL, lease_until = NULL
                  WHERE leased_by = $1"""
LEAVE = "DELETE FROM {s}.delivery_workers WHERE worker = $1"
ADVANCE = """UPDATE {s}.subscription_lanes l SET position = a.new
               FROM unnest($3::smallint[], $4::bigint[], $5::bigint[]) AS a(lane, old, new)
              WHERE l.subscription = $1 AND l.lane = a.lane AND l.leased_by = $2
                AND l.position = a.old
             RETURNING l.lane"""
POSITIONS = "SELECT lane, position FROM {s}.subscription_lanes WHERE subscription = $1"
PARKED_AMONG = """SELECT aggregate_id FROM {s}.subscription_parked
                   WHERE subscription = $1 AND aggregate_id = ANY($2::uuid[])"""
PARK = """INSERT INTO {s}.subscription_parked (subscription, aggregate_id, from_version,
                 message_id, status, attempts, next_attempt_at, last_error)
          VALUES ($1, $2, $3, $4, CASE WHEN $5::int >= $7::int THEN 'dead' ELSE 'retrying' END,
                  $5::int, now() + make_interval(secs => $6::float8), $8)
          ON CONFLICT (subscription, aggregate_id) DO NOTHING"""


class LeaseLost(Exception):
    """A fenced advance found a lane leased by another worker, or moved by one."""


@dataclass(frozen=True)
class Parked:
    subscription: str
    aggregate_id: UUID
    from_version: int
    message_id: UUID
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


class Progress:
    """SQL over one home database's subscription tables (schema ``schema``)."""

    def __init__(self, schema: str) -> None:
        self.schema = schema

    def sql(self, template: str) -> str:
        return template.format(s=self.schema, last=LANES - 1)

    async def lease(
        self, connection: Connection, subscription: str, worker: str, seconds: float
    ) -> dict[int, int]:
        """Renew this worker's whole share of the lanes (one loop); the lanes held and
        their positions. ``lease_part`` splits the share between several loops."""
        held, _ = await self.lease_part(connection, subscription, worker, seconds)
        return held

    async def lease_part(
        self,
        connection: Connection,
        subscription: str,
        worker: str,
        seconds: float,
        part: int = 0,
        parts: int = 1,
    ) -> tuple[dict[int, int], bool]:
        """Renew this worker's share of the lanes and lease its ``part``-th of ``parts``
        slices to one loop: disjoint lanes, so that the loops never wait for each other's
        rows. The lanes held with their positions, and whether every lane of the part was
        taken (not while another worker still holds some: then try again soon)."""
        async with connection.transaction():
            await connection.execute(self.sql(ENSURE), subscription)
            await connection.execute(self.sql(BEAT), worker, seconds)
            alive = [r["worker"] for r in await connection.fetch(self.sql(ALIVE))]
            mine = lanes_for(alive.index(worker), len(alive))
            # Lanes another worker now ranks for are given up here and taken by it on
            # its next renewal (or when this lease expires, if this worker died).
            await connection.execute(self.sql(RELEASE), subscription, worker, mine)
            take = mine[part::parts]
            rows = await connection.fetch(self.sql(TAKE), subscription, worker, take, seconds)
            await connection.execute(self.sql(FORGET))
        return {r["lane"]: r["position"] for r in rows}, len(rows) == len(take)

    async def leave(self, connection: Connection, worker: str) -> None:
        """Give up every lane at once (a graceful stop), so others need not wait."""
        async with connection.transaction():
            await connection.execute(self.sql(RELEASE_ALL), worker)
            await connection.execute(self.sql(LEAVE), worker)

    async def advance(
        self,
        connection: Connection,
        subscription: str,
        worker: str,
        moves: Mapping[int, tuple[int, int]],
    ) -> None:
        """The fenced advance, inside the caller's transaction: lane → (old, new)."""
        lanes = list(moves)
        rows = await connection.fetch(
            self.sql(ADVANCE),
            subscription,
            worker,
            lanes,
            [moves[lane][0] for lane in lanes],
            [moves[lane][1] for lane in lanes],
        )
        if len(rows) != len(lanes):
            raise LeaseLost(
                f"{subscription}: lost lanes {sorted(set(lanes) - {r[0] for r in rows})}"
            )

    async def positions(self, connection: Connection, subscription: str) -> dict[int, int]:
        rows = await connection.fetch(self.sql(POSITIONS), subscription)
        return {r["lane"]: r["position"] for r in rows}

    async def parked_among(
        self, connection: Connection, subscription: str, tickets: Sequence[UUID]
    ) -> set[UUID]:
        if not tickets:  # a page with nothing for this subscription: no round trip
            return set()
        rows = await connection.fetch(self.sql(PARKED_AMONG), subscription, list(tickets))
        return {r["aggregate_id"] for r in rows}

    async def park(
        self,
        connection: Connection,
        subscription: str,
        first: OutboxMessage,
        error: str,
        delay: float,
        max_attempts: int,
        attempts: int = 1,
    ) -> None:
        """Park ``first``'s ticket from ``first`` on (an OutboxMessage), one attempt spent."""
        await connection.execute(
            self.sql(PARK),
            subscription,
            first.aggregate_id,
            first.aggregate_version,
            first.id,
            attempts,
            delay,
            max_attempts,
            error,
        )
