"""What the dispatcher delivers to (one interface, Subscriber), and where progress lives."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from tickets.domain.events import DomainEvent
from tickets.infrastructure.outbox.messages import OutboxMessage

Connection = asyncpg.Connection | PoolConnectionProxy
"""A connection, or the pool's proxy of one: handlers use either the same way."""


Delivery = tuple[OutboxMessage, DomainEvent]
"""An event with its outbox envelope (message id, correlation id, trace context)."""


class Subscriber(Protocol):
    """What the dispatcher delivers to, the one interface of every subscription: a page
    of events, sorted by ticket and version, each with its envelope. ``deliver`` runs
    inside the delivery transaction, so its effect commits with the position past it;
    a subscriber whose effect is outside any database (``outside_transaction``, the
    broker publisher) is called with ``connection`` None and no transaction open."""

    name: str
    event_types: frozenset[str]
    outside_transaction: bool

    async def deliver(
        self, connection: Connection | None, messages: Sequence[Delivery]
    ) -> None: ...


class BatchHandler(Protocol):
    """Applies events, sorted by ticket and version, set-based in the caller's
    transaction: the read model's projections (in delivery as part of a HandlerGroup,
    and in a rebuild alike) and the decision notifier."""

    name: str
    event_types: frozenset[str]

    async def apply_batch(self, connection: Connection, events: Sequence[DomainEvent]) -> None: ...


def in_transaction(connection: Connection | None) -> Connection:
    """The delivery transaction's connection, which a subscriber that is not
    ``outside_transaction`` is always given."""
    if connection is None:
        raise TypeError("this subscriber delivers inside the delivery transaction")
    return connection


class HandlerUnavailable(Exception):
    """The handler's downstream system cannot be reached: an outage, not a bad message.

    The dispatcher leaves the messages pending and uncharged (never parked as dead for
    an outage) and tries again after ``retry_after`` seconds.
    """

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class HandlerGroup:
    """Batch handlers delivered as one subscription (one position, one transaction): the
    read model's two projections, so that they never disagree about how far they are;
    or one alone."""

    outside_transaction = False

    def __init__(self, name: str, handlers: Sequence[BatchHandler]) -> None:
        self.name = name
        self.handlers = list(handlers)
        self.event_types = frozenset(t for h in self.handlers for t in h.event_types)

    async def deliver(self, connection: Connection | None, messages: Sequence[Delivery]) -> None:
        events = [event for _, event in messages]
        for handler in self.handlers:
            mine = [e for e in events if e.event_type in handler.event_types]
            if mine:
                await handler.apply_batch(in_transaction(connection), mine)


@dataclass(frozen=True)
class Subscription:
    """A handler bound to the database that holds its effects and its progress.

    ``schema`` names where its progress tables live in that database
    (``subscription_lanes``, ``subscription_parked``): next to its effects, so that an
    effect and the position past it commit together. A handler whose effect is outside
    any database (``outside_transaction = True``, the broker publisher) is called with
    no transaction open, and its position advances after it returned.
    """

    handler: Subscriber
    pool: asyncpg.Pool
    schema: str = "tickets"

    def wants(self, event_type: str) -> bool:
        return event_type in self.handler.event_types

    @property
    def name(self) -> str:
        return self.handler.name

    @property
    def transactional(self) -> bool:
        return not self.handler.outside_transaction
