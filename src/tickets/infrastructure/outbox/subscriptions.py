"""How the dispatcher sees an event handler, and where its progress lives."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from tickets.domain.events import DomainEvent
from tickets.infrastructure.outbox.messages import OutboxMessage

Connection = asyncpg.Connection | PoolConnectionProxy
"""A connection, or the pool's proxy of one: handlers use either the same way."""


class EventHandler(Protocol):
    """Applies one event inside the transaction the dispatcher opened for it. A handler
    may also offer ``apply_batch(connection, events)``, given events sorted by ticket
    and version, to apply a batch set-based."""

    name: str
    event_types: frozenset[str]

    async def apply(self, connection: Connection, event: DomainEvent) -> None: ...


class EnvelopeHandler(Protocol):
    """A handler that needs each event's outbox envelope (message id, correlation id),
    such as a publisher to another system. ``deliver`` runs inside the delivery
    transaction (its effect commits with the position past it), or with ``connection``
    None and no transaction when the handler sets ``outside_transaction``."""

    name: str
    event_types: frozenset[str]

    async def deliver(
        self,
        connection: Connection | None,
        messages: Sequence[tuple[OutboxMessage, DomainEvent]],
    ) -> None: ...


class HandlerUnavailable(Exception):
    """The handler's downstream system cannot be reached: an outage, not a bad message.

    The dispatcher leaves the messages pending and uncharged (never parked as dead for
    an outage) and tries again after ``retry_after`` seconds.
    """

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class HandlerGroup:
    """Several handlers delivered as one subscription (one position, one transaction):
    the read model's projections, so that they never disagree about how far they are."""

    def __init__(self, name: str, handlers: Sequence[EventHandler]) -> None:
        self.name = name
        self.handlers = list(handlers)
        self.event_types = frozenset(t for h in self.handlers for t in h.event_types)

    async def apply(self, connection: Connection, event: DomainEvent) -> None:
        await self.apply_batch(connection, [event])

    async def apply_batch(self, connection: Connection, events: Sequence[DomainEvent]) -> None:
        for handler in self.handlers:
            mine = [e for e in events if e.event_type in handler.event_types]
            batch = getattr(handler, "apply_batch", None)
            if batch is not None:
                await batch(connection, mine)
            else:
                for event in mine:
                    await handler.apply(connection, event)


@dataclass(frozen=True)
class Subscription:
    """A handler bound to the database that holds its effects and its progress.

    ``schema`` names where its progress tables live in that database
    (``subscription_lanes``, ``subscription_parked``): next to its effects, so that an
    effect and the position past it commit together. A handler whose effect is outside
    any database (``outside_transaction = True``, the broker publisher) is called with
    no transaction open, and its position advances after it returned.
    """

    handler: EventHandler | EnvelopeHandler
    pool: asyncpg.Pool
    schema: str = "tickets"

    def wants(self, event_type: str) -> bool:
        return event_type in self.handler.event_types

    @property
    def name(self) -> str:
        return self.handler.name

    @property
    def transactional(self) -> bool:
        return not getattr(self.handler, "outside_transaction", False)
