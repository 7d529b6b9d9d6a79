"""A delivery round's page and result, and what is done to a page before and after it
is applied: which events a subscription may want, decoding them (an undecodable one
is poison), the tracing spans of the round, and which messages count as delivered."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from tickets.domain.events import EVENT_TYPES, DomainEvent
from tickets.infrastructure.outbox.isolation import describe
from tickets.infrastructure.outbox.messages import OutboxMessage
from tickets.infrastructure.outbox.progress import Progress
from tickets.infrastructure.outbox.subscriptions import Subscription
from tickets.infrastructure.serialization import event_from_payload
from tickets.infrastructure.upcasting import current_type
from tickets.tracing import state as tracing

if TYPE_CHECKING:
    from tickets.tracing.delivery import Deliveries


@dataclass
class Round:
    claimed: int = 0
    delivered: int = 0
    delivered_ids: list[UUID] = field(default_factory=list)
    parked: list[tuple[OutboxMessage, str]] = field(default_factory=list)
    postponed: float | None = None
    """Seconds to wait: the handler's downstream is down."""


@dataclass(frozen=True)
class Page:
    """One round's claimed page for one subscription, with what delivering it needs."""

    subscription: Subscription
    progress: Progress
    moves: dict[int, tuple[int, int]]
    """lane → (position before, position after the page)"""
    wanted: list[OutboxMessage]
    events: dict[UUID, DomainEvent]
    poison: dict[UUID, str]
    worker: str

    def tickets(self) -> list[UUID]:
        return list({m.aggregate_id for m in self.wanted})


def may_want(subscription: Subscription, stored_type: str) -> bool:
    """Whether a stored event can matter to ``subscription``: it wants its current type,
    or the type is unknown (it must be decoded to be parked as poison)."""
    current = current_type(stored_type)
    return current not in EVENT_TYPES or subscription.wants(current)


def decode(messages: Sequence[OutboxMessage]) -> tuple[dict[UUID, DomainEvent], dict[UUID, str]]:
    """The messages' events (upcast to the current version), and the undecodable ones'
    errors: an event that cannot be decoded is a poison message."""
    events: dict[UUID, DomainEvent] = {}
    poison: dict[UUID, str] = {}
    for m in messages:
        try:
            events[m.id] = event_from_payload(m.event_type, m.payload)
        except Exception as error:
            poison[m.id] = describe(error)
    return events, poison


def deliveries(subscription: str, wanted: list[OutboxMessage]) -> "Deliveries | None":
    """The delivery spans of this round (one per message), when tracing is on; the
    broker publisher's spans find them through the context variable."""
    if tracing.TRACER is None or not wanted:
        return None
    from tickets.tracing.delivery import Deliveries

    traces = Deliveries()
    tracing.DELIVERIES.set(traces)
    traces.open(subscription, wanted)
    return traces


def settle_spans(traces: "Deliveries", subscription: str, result: Round) -> None:
    for message_id in result.delivered_ids:
        traces.outcomes[(subscription, message_id)] = "delivered"
    for first, error in result.parked:
        traces.failed(subscription, [first], error)
    traces.settle([first.id for first, _ in result.parked], [])


def mark_delivered(result: Round, todo: list[OutboxMessage]) -> None:
    failed = {first.aggregate_id: first.aggregate_version for first, _ in result.parked}
    result.delivered_ids = [
        m.id for m in todo if m.aggregate_version < failed.get(m.aggregate_id, 1 << 31)
    ]
    result.delivered = len(result.delivered_ids)


def version_of(m: OutboxMessage) -> int:
    return m.aggregate_version
