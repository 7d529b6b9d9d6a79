"""A fresh database per fault test, with an outbox runtime and helpers to fill it."""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from tests.conftest import FAST_RETRIES, settings_for
from tests.faults.recording_handlers import EFFECTS_DDL
from tickets.bootstrap import Runtime, open_runtime
from tickets.infrastructure.outbox.dispatcher import Dispatcher
from tickets.infrastructure.outbox.retry import RetryPolicy
from tickets.infrastructure.outbox.store import OutboxStore
from tickets.infrastructure.outbox.subscriptions import Subscriber, Subscription
from tickets.testing.scratch_databases import scratch_database


@pytest_asyncio.fixture
async def fault_db(server_url: str) -> AsyncIterator[str]:
    """A database for this test alone: fault tests assert on the whole outbox."""
    async with scratch_database(server_url) as url:
        yield url


@pytest_asyncio.fixture
async def runtime(fault_db: str) -> AsyncIterator[Runtime]:
    settings = settings_for(fault_db, outbox_max_attempts=3, **FAST_RETRIES)
    async with open_runtime(settings) as running:
        await running.pools.write.execute(EFFECTS_DDL)
        yield running


def dispatcher_for(
    runtime: Runtime, *handlers: Subscriber, policy: RetryPolicy | None = None
) -> Dispatcher:
    store = OutboxStore(runtime.pools.write, policy or runtime.store.policy)
    return Dispatcher(store, [Subscription(h, runtime.pools.write) for h in handlers])


async def effects(pool: asyncpg.Pool, handler: str) -> list[tuple[uuid.UUID, int]]:
    rows = await pool.fetch(
        "SELECT ticket_id, version FROM public.fault_effects WHERE handler = $1 ORDER BY seq",
        handler,
    )
    return [(r["ticket_id"], r["version"]) for r in rows]
