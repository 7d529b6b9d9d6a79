"""Writes domain events as outbox rows inside the command's transaction."""

from collections.abc import Sequence
from typing import Any
from uuid import uuid4

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from tickets.application.ports import MessageContext
from tickets.domain.events import DomainEvent
from tickets.infrastructure import tables
from tickets.infrastructure.serialization import event_to_payload

NOTIFY_CHANNEL = "tickets_outbox"


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


async def append_to_outbox(
    session: AsyncSession, events: Sequence[DomainEvent], context: MessageContext
) -> None:
    """Insert one row per event and queue a NOTIFY.

    NOTIFY inside the transaction is delivered only if and when it commits, so a
    listener never wakes for rows it cannot see, and a rollback wakes nobody.
    """
    if not events:
        return
    await session.execute(insert(tables.outbox_messages), outbox_rows(events, context))
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
