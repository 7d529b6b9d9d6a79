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


OUTBOX_COLUMNS = {
    "id": "uuid",
    "aggregate_id": "uuid",
    "aggregate_version": "integer",
    "event_type": "text",
    "payload": "text::jsonb",
    "metadata": "text::jsonb",
    "occurred_at": "timestamptz",
}
"""An outbox row's columns in the order ``outbox_values`` gives them, with their SQL
types (payload and metadata are sent as JSON text)."""


def outbox_values(events: Sequence[DomainEvent], context: MessageContext) -> list[tuple[Any, ...]]:
    """One row per event, its values in OUTBOX_COLUMNS' order."""
    # The trace context goes into the row, in the command's own transaction: a worker
    # minutes later (another process) continues the trace from it.
    trace = dict(context.trace) if context.trace else {}
    causation_id = str(context.command_id)
    return [
        (
            uuid4(),
            event.ticket_id,
            event.version,
            event.event_type,
            json.dumps(event_to_payload(event)),
            json.dumps(
                {
                    "correlation_id": context.correlation_id,
                    "causation_id": causation_id,
                    "actor_id": str(event.actor_id),
                    "actor_name": event.actor_name,
                    **trace,
                }
            ),
            event.occurred_at,
        )
        for event in events
    ]
