"""Test handlers whose effects can be counted, ordered, delayed and made to fail."""

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence

from tickets.domain.events import EVENT_TYPES, DomainEvent
from tickets.infrastructure.outbox.subscriptions import Connection, Delivery, in_transaction

ALL_EVENTS = frozenset(EVENT_TYPES)
EFFECTS_DDL = """
CREATE TABLE IF NOT EXISTS public.fault_effects (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    handler text NOT NULL,
    ticket_id uuid NOT NULL,
    version int NOT NULL
)"""


class Recorder:
    """Appends one effect row per applied event; duplicates and disorder stay visible."""

    outside_transaction = False

    def __init__(self, name: str = "recorder", delay: float = 0.0) -> None:
        self.name = name
        self.event_types = ALL_EVENTS
        self.delay = delay

    async def deliver(self, connection: Connection | None, messages: Sequence[Delivery]) -> None:
        for _, event in messages:
            await self.apply(in_transaction(connection), event)

    async def apply(self, connection: Connection, event: DomainEvent) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        await connection.execute(
            "INSERT INTO public.fault_effects (handler, ticket_id, version) VALUES ($1, $2, $3)",
            self.name,
            event.ticket_id,
            event.version,
        )


class Failing(Recorder):
    """Raises for events ``poisoned`` picks, ``times`` times each (forever if None)."""

    def __init__(
        self,
        name: str,
        poisoned: Callable[[DomainEvent], bool],
        times: int | None = None,
    ) -> None:
        super().__init__(name)
        self.poisoned = poisoned
        self.times = times
        self.failures: Counter[tuple[object, int]] = Counter()
        self.fixed = False

    async def apply(self, connection: Connection, event: DomainEvent) -> None:
        key = (event.ticket_id, event.version)
        failing = self.times is None or self.failures[key] < self.times
        if not self.fixed and self.poisoned(event) and failing:
            self.failures[key] += 1
            raise RuntimeError(f"poison: cannot handle {event.event_type} v{event.version}")
        await super().apply(connection, event)
