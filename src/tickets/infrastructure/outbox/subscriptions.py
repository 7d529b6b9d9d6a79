"""How the dispatcher sees an event handler, and where its tracking rows live."""

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
    such as a publisher to another system. ``deliver`` runs inside the transaction that
    holds the batch's tracking rows: they commit only if it returns."""

    name: str
    event_types: frozenset[str]

    async def deliver(
        self, connection: Connection, messages: Sequence[tuple[OutboxMessage, DomainEvent]]
    ) -> None: ...


class HandlerUnavailable(Exception):
    """The handler's downstream system cannot be reached: an outage, not a bad message.

    The dispatcher leaves the messages pending and uncharged (never parked as dead for
    an outage) and tries again after ``retry_after`` seconds.
    """

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Subscription:
    """A handler bound to the database that holds its effects and its tracking rows.

    The tracking table has a (name, message_id) primary key; inserting the row in the
    same transaction as the effect is what makes a redelivery harmless.
    """

    handler: EventHandler | EnvelopeHandler
    pool: asyncpg.Pool
    tracking_table: str = "tickets.processed_messages"
    name_column: str = "handler"

    def wants(self, event_type: str) -> bool:
        return event_type in self.handler.event_types

    @property
    def name(self) -> str:
        return self.handler.name
