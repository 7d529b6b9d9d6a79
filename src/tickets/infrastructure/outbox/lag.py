"""How far each subscription (each projection, notifications, the broker publisher) is
behind the outbox, in events and in seconds since the oldest of them was committed.

A subscription's backlog is the pending messages of the types it wants that have no
tracking row of its own yet: a message stays pending until every subscription has it,
so one slow subscription shows here while the others read 0. Only the oldest
``LAG_COUNT_CAP`` pending messages are looked at: the figure is an operator's gauge,
asked every few seconds, and a bigger backlog reads as the cap (the seconds still tell
how far behind it is).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from tickets.infrastructure.outbox.messages import TABLE as T
from tickets.infrastructure.outbox.subscriptions import Subscription
from tickets.infrastructure.upcasting import current_type

LAG_COUNT_CAP = 10_000

OLDEST_PENDING = f"""
SELECT id, event_type, extract(epoch FROM now() - occurred_at)::float8 AS age
  FROM {T} WHERE status = 'pending' ORDER BY position LIMIT $1
"""


@dataclass(frozen=True)
class SubscriptionLag:
    subscription: str
    events: int
    seconds: float


async def subscription_lags(
    pool: asyncpg.Pool, subscriptions: Sequence[Subscription], cap: int = LAG_COUNT_CAP
) -> list[SubscriptionLag]:
    """Each subscription's backlog among the oldest ``cap`` pending messages."""
    pending = [
        (r["id"], current_type(r["event_type"]), r["age"])
        for r in await pool.fetch(OLDEST_PENDING, cap)
    ]
    return [await _lag(subscription, pending) for subscription in subscriptions]


async def _lag(
    subscription: Subscription, pending: Sequence[tuple[UUID, str, float]]
) -> SubscriptionLag:
    name = subscription.name
    wanted = {mid: age for mid, event_type, age in pending if subscription.wants(event_type)}
    if wanted:
        done = await subscription.pool.fetch(
            f"SELECT message_id FROM {subscription.tracking_table}"
            f" WHERE {subscription.name_column} = $1 AND message_id = ANY($2::uuid[])",
            name,
            list(wanted),
        )
        for row in done:
            wanted.pop(row["message_id"], None)
    return SubscriptionLag(name, len(wanted), round(max(wanted.values(), default=0.0), 3))
