"""Migration 0006 on a database with data: notifications gain read_at and the time
indexes appear; downgraded, the previous schema is back with the rows; upgraded again."""

import asyncio
import uuid

import asyncpg
from alembic import command

from tickets.infrastructure.migrate import alembic_config
from tickets.testing.scratch_databases import scratch_database

INDEXES = {
    "ix_notifications_unread_age",
    "ix_notifications_read_age",
    "ix_idempotency_keys_age",
    "ix_outbox_attempts_age",
    "ix_dead_letter_audit_age",
}
NAMES = "SELECT indexname FROM pg_indexes WHERE schemaname = 'tickets'"
HAS_READ_AT = """SELECT EXISTS (SELECT 1 FROM information_schema.columns
  WHERE table_schema = 'tickets' AND table_name = 'notifications' AND column_name = 'read_at')"""
SEED = """INSERT INTO tickets.notifications (id, user_id, ticket_id, kind, text, created_at)
          VALUES ($1, $1, $1, 'approved', 'approved', now())"""


async def migrate(url: str, revision: str, down: bool = False) -> None:
    step = command.downgrade if down else command.upgrade
    await asyncio.to_thread(step, alembic_config(url), revision)


async def test_upgrade_and_downgrade_keep_the_rows(server_url: str) -> None:
    async with scratch_database(server_url) as url:
        await migrate(url, "0006-1")  # the schema before this revision
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(SEED, uuid.uuid4())
            assert not await connection.fetchval(HAS_READ_AT)

            await migrate(url, "0006")
            assert await connection.fetchval(HAS_READ_AT)
            assert {r[0] for r in await connection.fetch(NAMES)} >= INDEXES
            assert (
                await connection.fetchval(
                    "SELECT count(*) FROM tickets.notifications WHERE read_at IS NULL"
                )
                == 1
            )

            await migrate(url, "0006-1", down=True)
            assert not await connection.fetchval(HAS_READ_AT)
            assert INDEXES & {r[0] for r in await connection.fetch(NAMES)} == set()
            assert await connection.fetchval("SELECT count(*) FROM tickets.notifications") == 1

            await migrate(url, "head")
            assert await connection.fetchval(HAS_READ_AT)
        finally:
            await connection.close()
