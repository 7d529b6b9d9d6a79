"""How far a subscription has got, read from its lanes (log and lanes in one database)."""

import uuid

import asyncpg

PASSED = """
SELECT count(*) FROM tickets.outbox_messages m
  JOIN {s}.subscription_lanes l ON l.subscription = $1 AND l.lane = m.lane
 WHERE m.id = ANY($2::uuid[]) AND m.position <= l.position
   AND NOT EXISTS (SELECT 1 FROM {s}.subscription_parked p
                    WHERE p.subscription = $1 AND p.aggregate_id = m.aggregate_id
                      AND p.from_version <= m.aggregate_version)
"""


async def delivered(
    pool: asyncpg.Pool, subscription: str, ids: list[uuid.UUID], schema: str = "tickets"
) -> int:
    """How many of these messages ``subscription`` has delivered (passed, not parked)."""
    return int(await pool.fetchval(PASSED.format(s=schema), subscription, ids))


async def ids_of(pool: asyncpg.Pool, ticket: uuid.UUID) -> list[uuid.UUID]:
    rows = await pool.fetch(
        "SELECT id FROM tickets.outbox_messages WHERE aggregate_id = $1 ORDER BY aggregate_version",
        ticket,
    )
    return [r["id"] for r in rows]
