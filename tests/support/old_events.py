"""Rows of old event versions, as an earlier release committed them."""

import uuid

import asyncpg


async def downgrade_rejections_to_v1(pool: asyncpg.Pool, ticket: uuid.UUID) -> int:
    """Rewrite a ticket's committed ticket.rejected.v2 rows as the v1 rows an earlier
    release wrote (no reason_code), before they are positioned: a log of mixed versions."""
    status = await pool.execute(
        """UPDATE tickets.outbox_messages
              SET event_type = 'ticket.rejected.v1', payload = payload - 'reason_code'
            WHERE aggregate_id = $1 AND event_type = 'ticket.rejected.v2'
              AND position IS NULL""",
        ticket,
    )
    return int(status.split()[-1])
