"""The retention task: rows past their window go, in batches, oldest first; rows
inside it stay; every batch is an index scan; one pruner at a time."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio
from prometheus_client import CollectorRegistry

from tests.conftest import settings_for
from tests.faults.waiting import eventually
from tickets.bootstrap import Runtime, open_runtime, retention_rules
from tickets.infrastructure.retention import (
    LOCK_KEY,
    Pruner,
    RetentionConfig,
    RetentionMetrics,
    Windows,
    rules,
)
from tickets.testing.scratch_databases import scratch_database

HOUR = 3600.0
WINDOWS = Windows(
    idempotency_keys=HOUR,
    attempts=2 * HOUR,
    audit=3 * HOUR,
    read_notifications=HOUR,
    unread_notifications=5 * HOUR,
)


@pytest_asyncio.fixture
async def runtime(server_url: str) -> AsyncIterator[Runtime]:
    """A database of its own: pruning must not see other tests' rows."""
    async with scratch_database(server_url) as url, open_runtime(settings_for(url)) as running:
        yield running


async def seed(connection: asyncpg.Connection, age_hours: float, count: int) -> None:
    """``count`` rows of every kind, ``age_hours`` old (notifications read that long ago
    and, unread, written that long ago)."""
    at = f"now() - interval '{age_hours} hours'"
    for _ in range(count):
        key, message = uuid.uuid4().hex, uuid.uuid4()
        await connection.execute(
            "INSERT INTO tickets.idempotency_keys (scope, key, fingerprint, response, "
            f"created_at) VALUES ('user:x', $1, 'f', '{{}}', {at})",
            key,
        )
        await connection.execute(
            "INSERT INTO tickets.outbox_attempts (message_id, attempt, handler, error, "
            f"failed_at) VALUES ($1, 1, 'h', 'boom', {at})",
            message,
        )
        await connection.execute(
            "INSERT INTO tickets.dead_letter_audit (message_id, action, actor_id, "
            f"actor_name, at) VALUES ($1, 'retry', $1, 'admin', {at})",
            message,
        )
        for read_at in (at, "NULL"):
            await connection.execute(
                "INSERT INTO tickets.notifications (id, user_id, ticket_id, kind, text, "
                f"created_at, read_at) VALUES ($1, $2, $2, 'approved', 't', {at}, {read_at})",
                uuid.uuid4(),
                message,
            )


async def counts(connection: asyncpg.Connection) -> dict[str, int]:
    tables = ("idempotency_keys", "outbox_attempts", "dead_letter_audit")
    found = {t: await connection.fetchval(f"SELECT count(*) FROM tickets.{t}") for t in tables}
    for state, where in (("read", "read_at IS NOT NULL"), ("unread", "read_at IS NULL")):
        found[f"notifications_{state}"] = await connection.fetchval(
            f"SELECT count(*) FROM tickets.notifications WHERE {where}"
        )
    return found


async def test_rows_past_their_window_are_removed_in_batches(runtime: Runtime) -> None:
    registry = CollectorRegistry()
    pruner = Pruner(
        runtime.pools.write,
        rules(WINDOWS),
        RetentionConfig(batch_size=3),
        RetentionMetrics(registry),
    )
    async with runtime.pools.write.acquire() as connection:
        await seed(connection, age_hours=0.5, count=2)  # inside every window
        await seed(connection, age_hours=2.5, count=4)  # past keys, attempts, read ones
        await seed(connection, age_hours=6, count=7)  # past every window
        removed = await pruner.prune_once()
        left = await counts(connection)
    assert removed == {
        "idempotency_keys": 11,
        "outbox_attempts": 11,
        "dead_letter_audit": 7,
        "notifications": 11 + 7,
    }
    assert left == {
        "idempotency_keys": 2,
        "outbox_attempts": 2,
        "dead_letter_audit": 2 + 4,
        "notifications_read": 2,
        "notifications_unread": 2 + 4,
    }
    pruned = registry.get_sample_value(
        "tickets_retention_pruned_rows_total", {"table": "notifications"}
    )
    assert pruned == 18
    assert not any((await pruner.prune_once()).values())


async def test_one_pruner_at_a_time(runtime: Runtime) -> None:
    pruner = Pruner(runtime.pools.write, rules(WINDOWS), RetentionConfig(batch_size=3))
    async with runtime.pools.write.acquire() as connection, runtime.pools.write.acquire() as other:
        await seed(connection, age_hours=6, count=2)
        async with other.transaction():
            assert await other.fetchval("SELECT pg_try_advisory_xact_lock($1)", LOCK_KEY)
            assert not any((await pruner.prune_once()).values())
            assert (await counts(connection))["idempotency_keys"] == 2
        assert (await pruner.prune_once())["idempotency_keys"] == 2


async def test_every_batch_is_an_index_scan(runtime: Runtime) -> None:
    """With sequential scans priced out, a plan still without one uses an index: the
    batch never reads the whole table, however large it grows."""
    async with runtime.pools.write.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL enable_seqscan = off")
        for rule in retention_rules(runtime.settings):
            plan = "\n".join(
                row[0]
                for row in await connection.fetch(
                    f"EXPLAIN {rule.delete()}", rule.window_seconds, 500
                )
            )
            assert "Seq Scan" not in plan, (rule, plan)
            assert "Index" in plan, (rule, plan)


async def test_a_notification_read_during_a_batch_stays(runtime: Runtime) -> None:
    """The batch that would remove an expired unread notification waits for the
    transaction marking it read, then leaves it: the read one is not expired."""
    pruner = Pruner(runtime.pools.write, rules(WINDOWS), RetentionConfig())
    async with runtime.pools.write.acquire() as connection, runtime.pools.write.acquire() as reader:
        await seed(connection, age_hours=6, count=1)
        await connection.execute("DELETE FROM tickets.notifications WHERE read_at IS NOT NULL")
        async with reader.transaction():
            await reader.execute("UPDATE tickets.notifications SET read_at = now()")
            pruning = asyncio.create_task(pruner.prune_once())

            async def pruner_waits() -> bool:
                waiting = await connection.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
                return bool(waiting)

            await eventually(pruner_waits, within=5)
        removed = await pruning
        assert removed["notifications"] == 0
        assert (
            await connection.fetchval(
                "SELECT count(*) FROM tickets.notifications WHERE read_at IS NOT NULL"
            )
            == 1
        )
