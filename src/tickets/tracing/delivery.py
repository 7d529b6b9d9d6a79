"""Delivery spans: one per message per subscription (each projection, notifications,
the broker publisher), in the worker that delivers it, however long after the commit.

Each span's parent is the message's creation context, the command span stored with the
row (``traceparent``/``tracestate`` in its metadata): a delivery is the processing of
one message, which the messaging conventions let continue the producer's trace, so the
whole journey of a command reads as one trace. The batch a worker claimed is an
implementation detail and gets no span of its own. A message stored without a trace
context (written while tracing was off) gets no delivery spans.
"""

import time
from collections.abc import Awaitable, Iterable, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode

from tickets.tracing import state
from tickets.tracing.propagation import parent_of

DESTINATION = "tickets.outbox"


class Delivered(Protocol):
    """What a delivery span is told of an outbox message."""

    @property
    def id(self) -> UUID: ...
    @property
    def aggregate_id(self) -> UUID: ...
    @property
    def aggregate_version(self) -> int: ...
    @property
    def event_type(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def traceparent(self) -> str | None: ...
    @property
    def tracestate(self) -> str | None: ...


class Deliveries:
    """The delivery spans of one claimed batch, keyed by (subscription, message id)."""

    def __init__(self) -> None:
        self.spans: dict[tuple[str, UUID], trace.Span] = {}
        self.outcomes: dict[tuple[str, UUID], str] = {}

    def open(self, subscription: str, messages: Iterable[Delivered]) -> None:
        tracer = state.TRACER
        assert tracer is not None
        now = time.time()
        for m in messages:
            parent = parent_of(m.traceparent, m.tracestate)
            if parent is None:
                continue
            attributes: dict[str, str | int | float] = {
                "messaging.system": "tickets",
                "messaging.operation.type": "process",
                "messaging.operation.name": "deliver",
                "messaging.destination.name": DESTINATION,
                "messaging.consumer.group.name": subscription,
                "messaging.message.id": str(m.id),
                "tickets.ticket.id": str(m.aggregate_id),
                "tickets.ticket.version": m.aggregate_version,
                "tickets.event.type": m.event_type,
                "tickets.delivery.attempt": m.attempts + 1,
                "tickets.delivery.lag_seconds": round(max(0.0, now - m.occurred_at.timestamp()), 6),
            }
            self.spans[(subscription, m.id)] = tracer.start_span(
                f"process {subscription}",
                context=parent,
                kind=SpanKind.CONSUMER,
                attributes=attributes,
            )

    def parent(self, subscription: str, message_id: UUID) -> Context | None:
        """The context of this message's delivery span (for a span the handler opens)."""
        span = self.spans.get((subscription, message_id))
        return trace.set_span_in_context(span) if span is not None else None

    async def observe(
        self,
        subscription: str,
        messages: Sequence[Delivered],
        work: Awaitable[None],
        outage: type[BaseException],
    ) -> None:
        """Await the handler's ``work`` on ``messages`` and record how it went (an
        ``outage`` is recorded by ``postponed``)."""
        try:
            await work
        except outage:
            raise
        except Exception as error:
            self._failed(subscription, messages, error)
            raise
        for m in messages:
            self.outcomes[(subscription, m.id)] = "delivered"

    def failed(self, subscription: str, messages: Iterable[Delivered], error: str) -> None:
        """The handler failed on these messages (their ticket is parked)."""
        self._failed(subscription, messages, RuntimeError(error))

    def _failed(
        self, subscription: str, messages: Iterable[Delivered], error: BaseException
    ) -> None:
        """The handler raised: an event on each span (a batch is retried one by one)."""
        for m in messages:
            span = self.spans.get((subscription, m.id))
            if span is not None:
                span.record_exception(error)
            self.outcomes[(subscription, m.id)] = "failed"

    def postponed(self, subscription: str, messages: Iterable[Delivered], reason: str) -> None:
        for m in messages:
            span = self.spans.get((subscription, m.id))
            if span is not None:
                span.add_event("delivery postponed", {"tickets.delivery.reason": reason})
            self.outcomes[(subscription, m.id)] = "postponed"

    def settle(self, retried: Iterable[UUID], dead: Iterable[UUID]) -> None:
        """Close every span with its outcome; the message's fate (a retry scheduled, a
        dead letter) is an event on the spans of the subscriptions that failed it."""
        retried_ids, dead_ids = set(retried), set(dead)
        for key, span in self.spans.items():
            outcome = self.outcomes.get(key, "held")  # not tried: behind its ticket's failure
            span.set_attribute("tickets.delivery.outcome", outcome)
            message_id = key[1]
            if outcome == "failed":
                span.set_status(Status(StatusCode.ERROR, "handler failed"))
                if message_id in dead_ids:
                    span.add_event("dead lettered")
                elif message_id in retried_ids:
                    span.add_event("retry scheduled")
            span.end()
        self.spans.clear()

    def abandon(self, error: BaseException) -> None:
        """The batch was not settled (the worker lost its database): the spans end
        failed; the messages' leases expire and another delivery will follow."""
        for span in self.spans.values():
            span.set_attribute("tickets.delivery.outcome", "abandoned")
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.end()
        self.spans.clear()
