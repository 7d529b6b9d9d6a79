"""Each subscription's lag, parked and dead tickets: the figures of /metrics,
``/admin/outbox``, ``tickets outbox status`` and ``/health/ready``."""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import asyncpg

from tickets.infrastructure.outbox.lanes import LANES
from tickets.infrastructure.outbox.progress import Progress
from tickets.infrastructure.outbox.store import OutboxStore

COUNTS = """SELECT count(*) FILTER (WHERE status = 'retrying') AS retrying,
                   count(*) FILTER (WHERE status = 'dead') AS dead
              FROM {s}.subscription_parked WHERE subscription = $1"""


KNOWN = "SELECT DISTINCT subscription FROM {s}.subscription_lanes ORDER BY 1"


class Located(Protocol):
    """A subscription as its figures need it: its name and its home."""

    @property
    def name(self) -> str: ...

    @property
    def pool(self) -> asyncpg.Pool: ...

    @property
    def schema(self) -> str: ...


@dataclass(frozen=True)
class Home:
    """A database (and schema) that holds subscriptions' progress."""

    pool: asyncpg.Pool
    schema: str


@dataclass(frozen=True)
class Known:
    name: str
    pool: asyncpg.Pool
    schema: str


async def known_subscriptions(homes: Sequence[Home]) -> list[Known]:
    """Every subscription that has lanes in these homes, configured here or not (a
    test's, another deployment's): dead letters and lag are shown for each."""
    found: list[Known] = []
    for home in homes:
        async with home.pool.acquire() as connection:
            rows = await connection.fetch(KNOWN.format(s=home.schema))
        found.extend(Known(r[0], home.pool, home.schema) for r in rows)
    return found


@dataclass(frozen=True)
class SubscriptionLag:
    subscription: str
    lag_events: int
    lag_seconds: float
    retrying: int
    dead: int


async def subscription_lags(
    store: OutboxStore, subscriptions: Sequence[Located]
) -> list[SubscriptionLag]:
    """Every subscription's figures. A subscription with no lanes yet (never started)
    is as far behind as the whole log."""
    result = []
    unpositioned = await store.unpositioned()
    waiting = await store.oldest_unpositioned()
    for subscription in subscriptions:
        progress = Progress(subscription.schema)
        async with subscription.pool.acquire() as connection:
            lanes = await progress.positions(connection, subscription.name)
            counts = await connection.fetchrow(progress.sql(COUNTS), subscription.name)
        assert counts is not None
        lag = await store.lag(lanes or dict.fromkeys(range(LANES), 0))
        age = 0.0
        for oldest in (lag.oldest, waiting):
            if oldest is not None:
                age = max(age, time.time() - oldest.timestamp())
        result.append(
            SubscriptionLag(
                subscription.name,
                lag.events + unpositioned,
                round(age, 3),
                counts["retrying"],
                counts["dead"],
            )
        )
    return result
