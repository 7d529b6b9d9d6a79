"""The dead-letter store: dead letters and queue status over the outbox tables (raw
SQL). Implements application.ports.DeadLetterStore."""

import time
from uuid import UUID

import asyncpg

from tickets.application.dead_letters import (
    Attempt,
    AuditEntry,
    DeadLetter,
    DeadLetterDetail,
    OutboxStatus,
)
from tickets.domain.users import User
from tickets.infrastructure.database import as_unavailable
from tickets.infrastructure.outbox.messages import TABLE as T
from tickets.infrastructure.outbox.store import OutboxStore
from tickets.infrastructure.outbox_rows import NOTIFY_CHANNEL
from tickets.infrastructure.outbox_wake_ups import NOTIFY
from tickets.infrastructure.pools import Connections

LETTER_COLUMNS = f"""d.id, d.position, d.aggregate_id, d.aggregate_version, d.event_type,
       d.attempts, d.last_error, d.occurred_at,
       (SELECT count(*) FROM {T} h WHERE h.aggregate_id = d.aggregate_id
           AND h.status = 'pending' AND h.aggregate_version > d.aggregate_version) AS held"""

LIST_DEAD = (
    f"SELECT {LETTER_COLUMNS} FROM {T} d WHERE d.status = 'dead' ORDER BY d.position LIMIT $1"
)
GET = f"SELECT {LETTER_COLUMNS}, d.status, d.payload, d.metadata FROM {T} d WHERE d.id = $1"
ATTEMPTS = """SELECT attempt, handler, error, failed_at FROM tickets.outbox_attempts
              WHERE message_id = $1 ORDER BY id"""
AUDIT = """SELECT action, actor_id, actor_name, at FROM tickets.dead_letter_audit
           WHERE message_id = $1 ORDER BY id"""
# Only a dead letter changes state; the audit row is written in the same transaction.
RETRY = f"""UPDATE {T} SET status = 'pending', attempts = 0, next_attempt_at = now(),
                           claimed_by = NULL, claimed_until = NULL
             WHERE id = $1 AND status = 'dead' RETURNING id"""
DISCARD = f"""UPDATE {T} SET status = 'discarded', processed_at = now()
               WHERE id = $1 AND status = 'dead' RETURNING id"""
AUDIT_INSERT = """INSERT INTO tickets.dead_letter_audit (message_id, action, actor_id, actor_name)
                  VALUES ($1, $2, $3, $4)"""


def _letter(row: asyncpg.Record) -> DeadLetter:
    return DeadLetter(
        row["id"],
        row["position"],
        row["aggregate_id"],
        row["aggregate_version"],
        row["event_type"],
        row["attempts"],
        row["last_error"],
        row["occurred_at"],
        row["held"],
    )


class SqlDeadLetterStore:
    def __init__(self, store: OutboxStore, connections: Connections) -> None:
        self._store = store
        self._connections = connections

    async def list_dead(self, limit: int) -> list[DeadLetter]:
        async with self._connections() as connection:
            return [_letter(r) for r in await connection.fetch(LIST_DEAD, limit)]

    async def get(self, message_id: UUID) -> DeadLetterDetail | None:
        async with self._connections() as connection:
            row = await connection.fetchrow(GET, message_id)
            if row is None:
                return None
            attempts = [Attempt(*r) for r in await connection.fetch(ATTEMPTS, message_id)]
            audit = [AuditEntry(*r) for r in await connection.fetch(AUDIT, message_id)]
        return DeadLetterDetail(
            _letter(row), row["status"], row["payload"], row["metadata"], attempts, audit
        )

    async def retry(self, message_id: UUID, actor: User) -> bool:
        return await self._change(RETRY, "retry", message_id, actor)

    async def discard(self, message_id: UUID, actor: User) -> bool:
        return await self._change(DISCARD, "discard", message_id, actor)

    async def _change(self, sql: str, action: str, message_id: UUID, actor: User) -> bool:
        async with self._connections() as connection, connection.transaction():
            if await connection.fetchval(sql, message_id) is None:
                return False
            await connection.execute(AUDIT_INSERT, message_id, action, actor.id, actor.name)
            await connection.execute(NOTIFY, NOTIFY_CHANNEL)
        return True

    async def status(self) -> OutboxStatus:
        try:
            stats = await self._store.stats()
        except Exception as error:
            raise as_unavailable(error) or error from error
        age = 0.0
        if stats.oldest_pending is not None:
            age = max(0.0, time.time() - stats.oldest_pending.timestamp())
        parked = await self.list_dead(100)
        return OutboxStatus(stats.pending, stats.held, stats.dead, round(age, 3), parked)
