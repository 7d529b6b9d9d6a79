"""A fresh database per fault test, with an outbox runtime and helpers to fill it."""

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import asyncpg
import pytest_asyncio

from tests.conftest import _execute, settings_for, with_database
from tests.faults.handlers import EFFECTS_DDL
from tickets.application.ports import MessageContext
from tickets.bootstrap import Runtime, open_runtime
from tickets.domain.events import CommentAdded, DomainEvent, TicketCreated
from tickets.infrastructure.outbox.dispatcher import Dispatcher
from tickets.infrastructure.outbox.handlers import EventHandler, Subscription
from tickets.infrastructure.outbox.retry import RetryPolicy
from tickets.infrastructure.outbox.store import OutboxStore
from tickets.infrastructure.outbox_writer import outbox_rows

FAST_RETRIES = {"outbox_retry_base_seconds": 0.01, "outbox_retry_cap_seconds": 0.05}


@pytest_asyncio.fixture
async def fault_db(server_url: str) -> AsyncIterator[str]:
    name = f"tickets_fault_{uuid.uuid4().hex[:12]}"
    await _execute(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_url, name)
    finally:
        await _execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture
async def runtime(fault_db: str) -> AsyncIterator[Runtime]:
    settings = settings_for(fault_db, outbox_max_attempts=3, **FAST_RETRIES)
    async with open_runtime(settings) as running:
        await running.pool.execute(EFFECTS_DDL)
        yield running


def dispatcher_for(
    runtime: Runtime, *handlers: EventHandler, policy: RetryPolicy | None = None
) -> Dispatcher:
    store = OutboxStore(runtime.pool, policy or runtime.store.policy)
    return Dispatcher(store, [Subscription(h, runtime.pool) for h in handlers])


def ticket_events(ticket_id: uuid.UUID, count: int) -> list[DomainEvent]:
    """A created event then comments: ``count`` consecutive versions of one ticket."""
    actor, now = uuid.uuid4(), datetime.now(UTC)
    common = {"ticket_id": ticket_id, "actor_id": actor, "actor_name": "a", "occurred_at": now}
    events: list[DomainEvent] = [TicketCreated(version=1, title="t", description="", **common)]
    events += [
        CommentAdded(version=v, comment_id=uuid.uuid4(), body=f"c{v}", **common)
        for v in range(2, count + 1)
    ]
    return events


async def insert_events(pool: asyncpg.Pool, events: Sequence[DomainEvent]) -> None:
    """Commit events straight into the outbox (as a unit of work would)."""
    rows = outbox_rows(events, MessageContext(correlation_id="fault-test"))
    columns = list(rows[0])
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    sql = f"INSERT INTO tickets.outbox_messages ({', '.join(columns)}) VALUES ({placeholders})"
    async with pool.acquire() as connection, connection.transaction():
        await connection.executemany(sql, [tuple(r[c] for c in columns) for r in rows])
        await connection.execute("SELECT pg_notify('tickets_outbox', '')")


async def effects(pool: asyncpg.Pool, handler: str) -> list[tuple[uuid.UUID, int]]:
    rows = await pool.fetch(
        "SELECT ticket_id, version FROM public.fault_effects WHERE handler = $1 ORDER BY seq",
        handler,
    )
    return [(r["ticket_id"], r["version"]) for r in rows]
