"""The broker publish spans (semantic conventions for messaging, RabbitMQ): one per
published message, a child of that message's ``broker`` delivery span, whose context
travels in the message's AMQP headers (``traceparent``, ``tracestate``) so that a
consumer continues the same trace."""

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from tickets.tracing import state
from tickets.tracing.propagation import carrier_of, parent_of


class Outgoing(Protocol):
    @property
    def routing_key(self) -> str: ...
    @property
    def message_id(self) -> str: ...
    @property
    def headers(self) -> dict[str, Any]: ...
    @property
    def body(self) -> bytes: ...


class Publishing:
    """The spans of one publish of a batch: open them, then close with the outcome."""

    def __init__(self, exchange: str) -> None:
        self.exchange = exchange
        self.spans: list[trace.Span] = []

    def traced(
        self,
        subscription: str,
        outbox_id: UUID,
        traceparent: str | None,
        tracestate: str | None,
        outgoing: Sequence[Any],
    ) -> list[Any]:
        """``outgoing`` (the integration messages of one outbox message), each with a
        publish span opened and its context added to its headers."""
        tracer = state.TRACER
        assert tracer is not None
        deliveries = state.DELIVERIES.get()
        parent = deliveries.parent(subscription, outbox_id) if deliveries is not None else None
        if parent is None:
            parent = parent_of(traceparent, tracestate)
        if parent is None:
            return list(outgoing)
        traced = []
        for out in outgoing:
            span = tracer.start_span(
                f"publish {self.exchange}",
                context=parent,
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "rabbitmq",
                    "messaging.operation.type": "send",
                    "messaging.operation.name": "publish",
                    "messaging.destination.name": self.exchange,
                    "messaging.rabbitmq.destination.routing_key": out.routing_key,
                    "messaging.message.id": out.message_id,
                    "messaging.message.body.size": len(out.body),
                },
            )
            self.spans.append(span)
            headers = {**out.headers, **carrier_of(span)}
            traced.append(dataclasses.replace(out, headers=headers))
        return traced

    def finish(self, error: BaseException | None = None) -> None:
        for span in self.spans:
            if error is not None:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                span.set_attribute("error.type", type(error).__qualname__)
            span.end()
