"""Domain events as outbox rows, and the channel the outbox notifies on. The rows are
written with the command's other rows (see command_writes)."""

import json
from collections.abc import Sequence
from typing import Any
from uuid import uuid4

from tickets.application.ports import MessageContext
from tickets.domain.events import DomainEvent
from tickets.infrastructure.serialization import event_to_payload

# Listeners wake on this channel. The unit of work asks for the NOTIFY after its commit
# (outbox_wake_ups), so a listener never wakes for rows it cannot see yet, and a
# rollback wakes nobody.
NOTIFY_CHANNEL = "tickets_outbox"


def outbox_rows(events: Sequence[DomainEvent], context: MessageContext) -> list[dict[str, Any]]:
    # The trace context goes into the row, in the command's own transaction: a worker
    # minutes later (another process) continues the trace from it.
    trace = dict(context.trace) if context.trace else {}
    return [
        {
            "id": uuid4(),
            "aggregate_id": event.ticket_id,
            "aggregate_version": event.version,
            "event_type": event.event_type,
            "payload": event_to_payload(event),
            "metadata": {
                "correlation_id": context.correlation_id,
                "causation_id": str(context.command_id),
                "actor_id": str(event.actor_id),
                "actor_name": event.actor_name,
                **trace,
            },
            "occurred_at": event.occurred_at,
        }
        for event in events
    ]


def outbox_values(events: Sequence[DomainEvent], context: MessageContext) -> list[tuple[Any, ...]]:
    """The rows as the write statements take them: id, aggregate_id, aggregate_version,
    event_type, payload and metadata (JSON text), occurred_at."""
    return [
        (
            o["id"],
            o["aggregate_id"],
            o["aggregate_version"],
            o["event_type"],
            json.dumps(o["payload"]),
            json.dumps(o["metadata"]),
            o["occurred_at"],
        )
        for o in outbox_rows(events, context)
    ]
