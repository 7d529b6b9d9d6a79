"""Handler sets a benchmark can deliver to."""

import asyncpg

from tickets.domain.events import EVENT_TYPES, DomainEvent
from tickets.infrastructure.outbox.subscriptions import Connection, Subscription


class NoopHandler:
    """A trivial handler: its only cost is the dispatcher's tracking row."""

    name = "noop"
    event_types = frozenset(EVENT_TYPES)

    async def apply(self, connection: Connection, event: DomainEvent) -> None:  # noqa: ARG002
        return None


def subscriptions_for(kind: str, pool: asyncpg.Pool) -> list[Subscription]:
    """``noop``: one trivial handler; ``projections``: the service's real subscriptions
    (both projections into the read model, and notifications)."""
    if kind == "noop":
        return [Subscription(NoopHandler(), pool)]
    if kind == "projections":
        from tickets.bootstrap import subscriptions

        return subscriptions(pool, pool)
    raise ValueError(f"unknown handler set {kind!r}")
