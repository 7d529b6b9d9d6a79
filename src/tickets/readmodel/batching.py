"""Applying many events at once, set-based, without breaking per-ticket order.

A batch is cut per ticket into *runs*: a ticket's consecutive events of one foldable
type (comments, typically) form one run, every other event is a run of its own. Wave k
holds each ticket's k-th run (events come sorted by ticket and version). Tickets in a
wave are distinct, so its runs can be grouped by type and each group applied with one
set-based statement, in any order. A folded run is one row update: a ticket with seven
new comments costs one UPDATE, not seven (guarded by the run's first version).
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tickets.domain.events import DomainEvent
from tickets.readmodel.connection import Connection

GroupHandler = Callable[[Connection, list[Any]], Awaitable[set[UUID]]]
"""Applies a list of same-type events (or, for a foldable type, runs) of distinct
tickets; returns the tickets applied."""


@dataclass(frozen=True)
class Run:
    """One ticket's consecutive events of one type, versions first.version … last.version."""

    events: list[DomainEvent]

    @property
    def first(self) -> DomainEvent:
        return self.events[0]

    @property
    def last(self) -> DomainEvent:
        return self.events[-1]


def runs(events: Sequence[DomainEvent], foldable: frozenset[type] = frozenset()) -> list[Run]:
    """The events sorted by ticket and version, consecutive foldable ones merged."""
    result: list[Run] = []
    for event in sorted(events, key=_ticket_order):
        if result and _extends(result[-1], event, foldable):
            result[-1].events.append(event)
        else:
            result.append(Run([event]))
    return result


def _ticket_order(event: DomainEvent) -> tuple[int, int]:
    """By ticket, then version; the ticket as its integer (the same order as the UUID's,
    compared without a Python-level call per comparison)."""
    return event.ticket_id.int, event.version


def _extends(run: Run, event: DomainEvent, foldable: frozenset[type]) -> bool:
    last = run.last
    return (
        type(event) in foldable
        and type(last) is type(event)
        and last.ticket_id == event.ticket_id
        and last.version + 1 == event.version
    )


def waves(ticket_runs: list[Run]) -> Iterator[list[Run]]:
    by_ticket: dict[UUID, list[Run]] = defaultdict(list)
    for run in ticket_runs:
        by_ticket[run.first.ticket_id].append(run)
    depth = max((len(v) for v in by_ticket.values()), default=0)
    for k in range(depth):
        yield [stream[k] for stream in by_ticket.values() if len(stream) > k]


async def apply_in_waves(
    connection: Connection,
    events: Sequence[DomainEvent],
    handlers: dict[type[DomainEvent], GroupHandler],
    foldable: frozenset[type] = frozenset(),
) -> list[DomainEvent]:
    """Apply ``events`` group by group; returns the events that changed something.
    Handlers of ``foldable`` types receive runs, the others single events."""
    applied: list[DomainEvent] = []
    for wave in waves(runs(events, foldable)):
        groups: dict[type[DomainEvent], list[Run]] = defaultdict(list)
        for run in wave:
            groups[type(run.first)].append(run)
        for event_type, group in groups.items():
            items = group if event_type in foldable else [run.first for run in group]
            done = await handlers[event_type](connection, items)
            applied.extend(e for run in group if run.first.ticket_id in done for e in run.events)
    return applied


def event_keys(events: Sequence[DomainEvent]) -> tuple[list[UUID], list[int], list[Any]]:
    """The events' tickets, versions and times, as the parallel arrays every
    projection statement starts with."""
    return (
        [e.ticket_id for e in events],
        [e.version for e in events],
        [e.occurred_at for e in events],
    )
