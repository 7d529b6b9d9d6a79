"""The outbox's ``broker`` subscription: every committed event, published with confirms.

Delivery is at-least-once, and consumers deduplicate on ``message_id`` (the outbox
message id). The dispatcher calls ``deliver`` with no transaction open (it returns only
after the broker confirmed every message), then advances the subscription's lanes past
those messages in a short fenced transaction. A crash or a lost database between the
confirm and that commit leaves the lanes where they were, so the messages are published
again: a duplicate, never a loss. Exactly-once is impossible here, since the broker and
the database share no transaction; no database transaction waits on the broker.
"""

from collections.abc import Sequence

from tickets.domain.events import EVENT_TYPES, DomainEvent
from tickets.infrastructure.broker.integration import integration_messages
from tickets.infrastructure.broker.link import BrokerLink
from tickets.infrastructure.outbox.messages import OutboxMessage
from tickets.infrastructure.outbox.subscriptions import Connection
from tickets.tracing import state as tracing


class BrokerPublisher:
    name = "broker"
    event_types = frozenset(EVENT_TYPES)
    outside_transaction = True

    def __init__(self, link: BrokerLink) -> None:
        self.link = link

    async def deliver(
        self,
        connection: Connection | None,  # noqa: ARG002 (the protocol; a publish has no row)
        messages: Sequence[tuple[OutboxMessage, DomainEvent]],
    ) -> None:
        # Mapping first: a message that cannot be mapped is poison (a bug), charged and
        # eventually parked; only the publish itself can be an outage.
        if tracing.TRACER is not None:
            await self._traced(messages)
            return
        outgoing = [
            out
            for message, event in messages
            for out in integration_messages(message.id, message.correlation_id, event)
        ]
        await self.link.publish(outgoing)

    async def _traced(self, messages: Sequence[tuple[OutboxMessage, DomainEvent]]) -> None:
        """The same publish, each message with a span whose context rides in its headers."""
        from tickets.tracing.publish import Publishing

        spans = Publishing(self.link.exchange_name)
        outgoing = [
            out
            for message, event in messages
            for out in spans.traced(
                self.name,
                message.id,
                message.traceparent,
                message.tracestate,
                integration_messages(message.id, message.correlation_id, event),
            )
        ]
        try:
            await self.link.publish(outgoing)
        except BaseException as error:
            spans.finish(error)
            raise
        spans.finish()
