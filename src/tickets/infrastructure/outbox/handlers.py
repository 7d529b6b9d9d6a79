"""How the dispatcher sees an event handler, and where its tracking rows live."""

from dataclasses import dataclass
from typing import Protocol

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from tickets.domain.events import DomainEvent

Connection = asyncpg.Connection | PoolConnectionProxy
"""A connection, or the pool's proxy of one: handlers use either the same way."""


class EventHandler(Protocol):
    """Applies one event inside the transaction the dispatcher opened for it. A handler
    may also offer ``apply_batch(connection, events)``, given events sorted by ticket
    and version, to apply a batch set-based."""

    name: str
    event_types: frozenset[str]

    async def apply(self, connection: Connection, event: DomainEvent) -> None: ...


@dataclass(frozen=True)
class Subscription:
    """A handler bound to the database that holds its effects and its tracking rows.

    The tracking table has a (name, message_id) primary key; inserting the row in the
    same transaction as the effect is what makes a redelivery harmless.
    """

    handler: EventHandler
    pool: asyncpg.Pool
    tracking_table: str = "tickets.processed_messages"
    name_column: str = "handler"

    def wants(self, event_type: str) -> bool:
        return event_type in self.handler.event_types

    @property
    def name(self) -> str:
        return self.handler.name
