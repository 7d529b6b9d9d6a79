"""Writes domain events as outbox rows inside the command's transaction."""

from collections.abc import Sequence
from typing import Any
from uuid import uuid4

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from tickets.application.ports import MessageContext
from tickets.domain.events import DomainEvent
from tickets.infrastructure import tables
from tickets.infrastructure.rows import execute_rows
from tickets.infrastructure.serialization import event_to_payload

# Listeners wake on this channel. A trigger on outbox_messages (migration 0003) sends
# the NOTIFY for every INSERT, so writers need no statement of their own for it.
NOTIFY_CHANNEL = "tickets_outbox"
_INSERT = insert(tables.outbox_messages)


def outbox_rows(events: Sequence[DomainEvent], context: MessageContext) -> list[dict[str, Any]]:
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
            },
            "occurred_at": event.occurred_at,
        }
        for event in events
    ]


async def append_to_outbox(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Insert the rows (see outbox_rows); the table's trigger queues the NOTIFY.

    NOTIFY inside the transaction is delivered only if and when it commits, so a
    listener never wakes for rows it cannot see, and a rollback wakes nobody.
    """
    await execute_rows(connection, _INSERT, rows)
