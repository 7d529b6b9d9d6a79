"""Applying many events at once, set-based, without breaking per-ticket order.

A batch is cut into waves: wave k holds each ticket's k-th event of the batch (events
come sorted by ticket and version). Tickets in a wave are distinct, so its events can
be grouped by type and each group applied with one set-based statement, in any order.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any
from uuid import UUID

from tickets.domain.events import DomainEvent

GroupHandler = Callable[[Any, list[Any]], Awaitable[set[UUID]]]
"""Applies a list of same-type events of distinct tickets; returns the tickets applied."""


def waves(events: Sequence[DomainEvent]) -> Iterator[list[DomainEvent]]:
    by_ticket: dict[UUID, list[DomainEvent]] = defaultdict(list)
    for event in sorted(events, key=lambda e: (e.ticket_id, e.version)):
        by_ticket[event.ticket_id].append(event)
    depth = max((len(v) for v in by_ticket.values()), default=0)
    for k in range(depth):
        yield [stream[k] for stream in by_ticket.values() if len(stream) > k]


async def apply_in_waves(
    connection: Any,
    events: Sequence[DomainEvent],
    handlers: dict[type[DomainEvent], GroupHandler],
) -> list[DomainEvent]:
    """Apply ``events`` group by group; returns the events that changed something."""
    applied: list[DomainEvent] = []
    for wave in waves(events):
        groups: dict[type[DomainEvent], list[DomainEvent]] = defaultdict(list)
        for event in wave:
            groups[type(event)].append(event)
        for event_type, group in groups.items():
            done = await handlers[event_type](connection, group)
            applied.extend(e for e in group if e.ticket_id in done)
    return applied
