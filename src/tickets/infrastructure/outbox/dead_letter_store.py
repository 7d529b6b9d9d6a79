"""The dead-letter store: each subscription's parked tickets and its lag (raw SQL).
Implements application.ports.DeadLetterStore.

A dead letter is a ticket parked as dead for one subscription, named by the message
its last attempt failed on. Retry makes it due again from its first attempt; discard
skips that message for that subscription (its ticket's later events flow again). Both
are audited in the write database."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from tickets.application.dead_letters import (
    Attempt,
    AuditEntry,
    DeadLetter,
    DeadLetterDetail,
    OutboxStatus,
    SubscriptionStatus,
)
from tickets.domain.users import User
from tickets.infrastructure.database import as_unavailable
from tickets.infrastructure.outbox.lag import Home, Known, known_subscriptions, subscription_lags
from tickets.infrastructure.outbox.messages import TABLE
from tickets.infrastructure.outbox.store import OutboxStore
from tickets.infrastructure.outbox_rows import NOTIFY_CHANNEL
from tickets.infrastructure.outbox_wake_ups import NOTIFY
from tickets.infrastructure.pools import Connections

PARKED = """SELECT subscription, aggregate_id, from_version, message_id, status, attempts,
                   last_error
              FROM {s}.subscription_parked
             WHERE subscription = $1 AND ($2::text IS NULL OR status = $2)
               AND ($3::uuid IS NULL OR message_id = $3)
             ORDER BY parked_at LIMIT $4"""
MESSAGES = f"""SELECT m.id, m.position, m.aggregate_id, m.aggregate_version, m.event_type,
                      m.occurred_at, m.payload, m.metadata,
                      (SELECT count(*) FROM {TABLE} h WHERE h.aggregate_id = m.aggregate_id
                          AND h.aggregate_version > m.aggregate_version) AS held
                 FROM {TABLE} m WHERE m.id = ANY($1::uuid[])"""
ATTEMPTS = """SELECT attempt, handler, error, failed_at FROM tickets.outbox_attempts
              WHERE message_id = $1 ORDER BY id"""
AUDIT = """SELECT action, actor_id, actor_name, at FROM tickets.dead_letter_audit
           WHERE message_id = $1 ORDER BY id"""
# Only a dead letter changes state; the audit row is written afterwards.
RETRY = """UPDATE {s}.subscription_parked
              SET status = 'retrying', attempts = 0, next_attempt_at = now()
            WHERE subscription = $1 AND message_id = $2 AND status = 'dead' RETURNING 1"""
DISCARD = """UPDATE {s}.subscription_parked
                SET status = 'retrying', attempts = 0, next_attempt_at = now(),
                    from_version = from_version + 1
              WHERE subscription = $1 AND message_id = $2 AND status = 'dead' RETURNING 1"""
AUDIT_INSERT = """INSERT INTO tickets.dead_letter_audit (message_id, action, actor_id, actor_name)
                  VALUES ($1, $2, $3, $4)"""


class SqlDeadLetterStore:
    def __init__(
        self,
        store: OutboxStore,
        homes: Sequence[Home],
        connections: Connections,
        configured: Sequence[Known] = (),
    ) -> None:
        self._store = store
        self._homes = list(homes)
        self._connections = connections
        self._configured = list(configured)

    async def _of(self, name: str | None) -> list[Known]:
        """The subscriptions with progress rows, and the configured ones that have none
        yet (they start at 0: as far behind as the whole log)."""
        known = await known_subscriptions(self._homes)
        names = {k.name for k in known}
        known += [c for c in self._configured if c.name not in names]
        return [s for s in known if name is None or s.name == name]

    async def _parked(
        self, status: str | None, message_id: UUID | None, limit: int, name: str | None = None
    ) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = []
        for sub in await self._of(name):
            sql = PARKED.format(s=sub.schema)
            async with sub.pool.acquire() as connection:
                rows.extend(await connection.fetch(sql, sub.name, status, message_id, limit))
        return rows[:limit]

    async def _letters(self, parked: list[asyncpg.Record]) -> list[tuple[DeadLetter, Any]]:
        async with self._connections() as connection:
            found = await connection.fetch(MESSAGES, [p["message_id"] for p in parked])
        messages = {m["id"]: m for m in found}
        letters = []
        for p in parked:
            m = messages.get(p["message_id"])
            if m is None:
                continue
            letter = DeadLetter(
                p["message_id"],
                m["position"] or 0,
                p["aggregate_id"],
                p["from_version"],
                m["event_type"],
                p["attempts"],
                p["last_error"],
                m["occurred_at"],
                m["held"],
                p["subscription"],
            )
            letters.append((letter, m))
        return letters

    async def list_dead(self, limit: int) -> list[DeadLetter]:
        return [
            letter for letter, _ in await self._letters(await self._parked("dead", None, limit))
        ]

    async def get(
        self, message_id: UUID, subscription: str | None = None
    ) -> DeadLetterDetail | None:
        parked = await self._parked(None, message_id, 1, subscription)
        async with self._connections() as connection:
            attempts = [Attempt(*r) for r in await connection.fetch(ATTEMPTS, message_id)]
            audit = [AuditEntry(*r) for r in await connection.fetch(AUDIT, message_id)]
        if parked:
            [(letter, m)] = await self._letters(parked)
            status = parked[0]["status"]
        else:
            if not attempts and not audit:
                return None  # never failed: not a dead letter, now or before
            async with self._connections() as connection:
                found = await connection.fetch(MESSAGES, [message_id])
            if not found:
                return None
            m = found[0]
            handler = attempts[-1].handler if attempts else ""
            letter = DeadLetter(
                message_id,
                m["position"] or 0,
                m["aggregate_id"],
                m["aggregate_version"],
                m["event_type"],
                len(attempts),
                attempts[-1].error if attempts else None,
                m["occurred_at"],
                0,
                subscription or handler,
            )
            status = "discarded" if audit and audit[-1].action == "discard" else "delivered"
        return DeadLetterDetail(letter, status, m["payload"], m["metadata"], attempts, audit)

    async def retry(self, message_id: UUID, actor: User, subscription: str | None = None) -> bool:
        return await self._change(RETRY, "retry", message_id, actor, subscription)

    async def discard(self, message_id: UUID, actor: User, subscription: str | None = None) -> bool:
        return await self._change(DISCARD, "discard", message_id, actor, subscription)

    async def _change(
        self, sql: str, action: str, message_id: UUID, actor: User, subscription: str | None
    ) -> bool:
        changed = False
        for sub in await self._of(subscription):
            async with sub.pool.acquire() as connection:
                changed |= (
                    await connection.fetchval(sql.format(s=sub.schema), sub.name, message_id)
                    is not None
                )
        if changed:
            async with self._connections() as connection, connection.transaction():
                await connection.execute(AUDIT_INSERT, message_id, action, actor.id, actor.name)
                await connection.execute(NOTIFY, NOTIFY_CHANNEL)
        return changed

    async def status(self) -> OutboxStatus:
        try:
            lags = await subscription_lags(self._store, await self._of(None))
        except Exception as error:
            raise as_unavailable(error) or error from error
        subscriptions = [
            SubscriptionStatus(g.subscription, g.lag_events, g.lag_seconds, g.retrying, g.dead)
            for g in lags
        ]
        parked = await self.list_dead(100)
        return OutboxStatus(
            max((g.lag_events for g in lags), default=0),
            sum(p.held for p in parked),
            sum(g.dead for g in lags),
            max((g.lag_seconds for g in lags), default=0.0),
            parked,
            subscriptions,
        )
