"""Migrations 0007 / r0002 move a database with data from per-message delivery state
(status columns, tracking rows) to positions per subscription, and back."""

import asyncio
import json
import uuid
from datetime import UTC, datetime

import asyncpg
from alembic import command

from tickets.infrastructure.migrate import READ_SCRIPTS, alembic_config
from tickets.infrastructure.outbox.lanes import lane_of
from tickets.testing.scratch_databases import scratch_database

ROW = """INSERT INTO tickets.outbox_messages (id, aggregate_id, aggregate_version, event_type,
         payload, metadata, occurred_at, status, attempts, last_error)
         VALUES ($1, $2, $3, 'comment.added.v1', $4::jsonb, '{}'::jsonb, $5, $6, $7, $8)
         RETURNING position"""


async def migrate(url: str, write: str, read: str, down: bool = False) -> None:
    step = command.downgrade if down else command.upgrade
    if down:
        await asyncio.to_thread(step, alembic_config(url, READ_SCRIPTS), read)
        await asyncio.to_thread(step, alembic_config(url), write)
    else:
        await asyncio.to_thread(step, alembic_config(url), write)
        await asyncio.to_thread(step, alembic_config(url, READ_SCRIPTS), read)


async def test_progress_survives_the_move_to_positions_and_back(server_url: str) -> None:
    async with scratch_database(server_url) as url:
        await migrate(url, "0006", "r0001")
        db = await asyncpg.connect(url)
        try:
            done, retrying, dead = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            while lane_of(retrying) != lane_of(done) or lane_of(dead) != lane_of(done):
                retrying, dead = uuid.uuid4(), uuid.uuid4()  # one lane: positions interleave
            now = datetime.now(UTC)
            ids: dict[tuple[uuid.UUID, int], uuid.UUID] = {}

            async def row(ticket: uuid.UUID, version: int, status: str, attempts: int = 0) -> None:
                ids[ticket, version] = uuid.uuid4()
                payload = json.dumps({"body": "b"})
                error = "boom" if attempts else None
                await db.fetchval(
                    ROW,
                    ids[ticket, version],
                    ticket,
                    version,
                    payload,
                    now,
                    status,
                    attempts,
                    error,
                )

            await row(done, 1, "processed")
            await row(retrying, 1, "pending", attempts=2)  # failing for notifications
            await row(dead, 1, "dead", attempts=8)
            await row(dead, 2, "pending")  # held behind the dead letter
            await row(done, 2, "processed")
            for key in ((done, 1), (done, 2)):
                await db.execute(
                    "INSERT INTO tickets.processed_messages (handler, message_id)"
                    " VALUES ('notifications', $1)",
                    ids[key],
                )
                for projection in ("ticket_list", "ticket_details"):
                    await db.execute(
                        "INSERT INTO read.processed_messages (projection, message_id)"
                        " VALUES ($1, $2)",
                        projection,
                        ids[key],
                    )

            await migrate(url, "head", "head")

            lane = lane_of(done)
            positions = await db.fetch(
                "SELECT aggregate_id, aggregate_version, position FROM tickets.outbox_messages"
                " ORDER BY position"
            )
            assert [r["position"] for r in positions] == [1, 2, 3, 4, 5], "positions kept"
            for schema, name in (("tickets", "notifications"), ("read", "read_model")):
                at = await db.fetchval(
                    f"SELECT position FROM {schema}.subscription_lanes"
                    " WHERE subscription = $1 AND lane = $2",
                    name,
                    lane,
                )
                assert at == 5, f"{name} starts after what it processed"
            parked = await db.fetch(
                "SELECT aggregate_id, from_version, status FROM tickets.subscription_parked"
                " WHERE subscription = 'notifications' ORDER BY status"
            )
            assert [(r["aggregate_id"], r["from_version"], r["status"]) for r in parked] == [
                (dead, 1, "dead"),
                (retrying, 1, "retrying"),
            ]
            assert await db.fetchval("SELECT to_regclass('tickets.processed_messages')") is None
            assert await db.fetchval("SELECT to_regclass('read.processed_messages')") is None

            await migrate(url, "0006", "r0001", down=True)

            statuses = await db.fetch(
                "SELECT aggregate_id, aggregate_version, status FROM tickets.outbox_messages"
                " ORDER BY position"
            )
            assert [(r["aggregate_id"], r["aggregate_version"], r["status"]) for r in statuses] == [
                (done, 1, "processed"),
                (retrying, 1, "pending"),
                (dead, 1, "dead"),
                (dead, 2, "pending"),
                (done, 2, "processed"),
            ]
            tracked = await db.fetchval(
                "SELECT count(*) FROM read.processed_messages WHERE message_id = ANY($1::uuid[])",
                [ids[done, 1], ids[done, 2]],
            )
            assert tracked == 4
        finally:
            await db.close()
