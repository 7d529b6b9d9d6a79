"""Handler sets a benchmark can deliver to."""

from collections.abc import Sequence

import asyncpg

from tickets.domain.events import EVENT_TYPES
from tickets.infrastructure.outbox.subscriptions import Connection, Delivery, Subscription


class NoopHandler:
    """A subscriber that does nothing: what a round costs is the dispatcher's own work."""

    name = "noop"
    event_types = frozenset(EVENT_TYPES)
    outside_transaction = False

    async def deliver(self, connection: Connection | None, messages: Sequence[Delivery]) -> None:  # noqa: ARG002
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
