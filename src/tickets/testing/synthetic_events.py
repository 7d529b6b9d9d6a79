"""Synthetic event streams written straight into the outbox, for benchmarks and tests."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from tickets.application.ports import MessageContext
from tickets.domain.events import CommentAdded, DomainEvent, TicketCreated
from tickets.infrastructure.outbox_rows import OUTBOX_COLUMNS, outbox_values


def ticket_events(ticket_id: uuid.UUID, count: int, first: int = 1) -> list[DomainEvent]:
    """Versions first..count of one ticket: created (version 1), then comments."""
    actor, now = uuid.uuid4(), datetime.now(UTC)
    events: list[DomainEvent] = []
    for version in range(first, count + 1):
        if version == 1:
            events.append(
                TicketCreated(
                    ticket_id=ticket_id,
                    version=1,
                    actor_id=actor,
                    actor_name="a",
                    occurred_at=now,
                    title="t",
                    description="",
                )
            )
        else:
            events.append(
                CommentAdded(
                    ticket_id=ticket_id,
                    version=version,
                    actor_id=actor,
                    actor_name="a",
                    occurred_at=now,
                    comment_id=uuid.uuid4(),
                    body=f"c{version}",
                )
            )
    return events


async def insert_events(pool: asyncpg.Pool, events: Sequence[DomainEvent]) -> None:
    """Commit events into the outbox in one transaction, as units of work would (the
    outbox's trigger wakes the workers on commit)."""
    rows = outbox_values(events, MessageContext(correlation_id="synthetic"))
    params = ", ".join(f"${i}::{t}" for i, t in enumerate(OUTBOX_COLUMNS.values(), 1))
    sql = f"INSERT INTO tickets.outbox_messages ({', '.join(OUTBOX_COLUMNS)}) VALUES ({params})"
    async with pool.acquire() as connection, connection.transaction():
        await connection.executemany(sql, rows)
