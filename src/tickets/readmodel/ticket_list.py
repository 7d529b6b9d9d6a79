"""Projection `ticket_list`: one row per ticket for lists and search, plus the
per-author status counts behind /tickets/stats.

One function per event type, each a set-based raw SQL upsert over the events of one
wave (see batching.py), guarded by version: a row moves from N-1 to N only.
"""

from collections import Counter
from collections.abc import Sequence
from functools import partial
from typing import Any
from uuid import UUID

from tickets.domain.events import (
    CommentAdded,
    DomainEvent,
    TicketCreated,
    TicketEdited,
)
from tickets.domain.status import TicketStatus
from tickets.readmodel.batching import GroupHandler, Run, apply_in_waves, event_keys
from tickets.readmodel.connection import Connection
from tickets.readmodel.guard import check_not_applied
from tickets.readmodel.moves import INITIAL, MOVES

FOLDED: frozenset[type] = frozenset({CommentAdded})  # applied as runs, see batching.py
Deltas = Counter[tuple[UUID, TicketStatus]]
"""Changes of the per-author status counts, summed over one batch."""

# Every statement takes the events as parallel arrays and moves a row from version
# N-1 to N only. {t} is the list table, {counts} the counts table (a rebuild's
# shadow tables carry a suffix).
CREATE = """
    INSERT INTO {t} (ticket_id, version, created_at, updated_at, title, status,
                     author_id, author_name, comment_count)
    SELECT e.id, e.v, e.at, e.at, e.title, $7, e.author, e.name, 0
      FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[], $5::uuid[],
                  $6::text[]) AS e(id, v, at, title, author, name)
    ON CONFLICT DO NOTHING RETURNING ticket_id, author_id"""
EDIT = """
    UPDATE {t} t SET title = e.title, updated_at = e.at, version = e.v
      FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[]) AS e(id, v, at, title)
     WHERE t.ticket_id = e.id AND t.version = e.v - 1
    RETURNING t.ticket_id"""
MOVE = """
    UPDATE {t} t SET status = $5, updated_at = e.at, version = e.v
      FROM unnest($1::uuid[], $2::int[], $3::timestamptz[]) AS e(id, v, at)
     WHERE t.ticket_id = e.id AND t.version = e.v - 1 AND t.status = $4
    RETURNING t.ticket_id, t.author_id"""
# A run of n comments (see batching.py) moves the row from v - n to v at once.
COMMENT = """
    UPDATE {t} t SET comment_count = comment_count + e.n, updated_at = e.at, version = e.v
      FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[]) AS e(id, v, at, n)
     WHERE t.ticket_id = e.id AND t.version = e.v - e.n
    RETURNING t.ticket_id"""
COUNT = """
    INSERT INTO {counts} AS c (author_id, status, count)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[])
    ON CONFLICT (author_id, status) DO UPDATE SET count = c.count + excluded.count"""


class TicketListProjection:
    name = "ticket_list"

    def __init__(self, suffix: str = "") -> None:
        """``suffix`` names shadow tables (``_rebuild``) during a rebuild."""
        self.table = f"read.ticket_list{suffix}"
        self.counts = f"read.status_counts{suffix}"
        self.sql_create = CREATE.format(t=self.table)
        self.sql_edit = EDIT.format(t=self.table)
        self.sql_move = MOVE.format(t=self.table)
        self.sql_comment = COMMENT.format(t=self.table)
        self.sql_count = COUNT.format(counts=self.counts)
        self.event_types = frozenset(cls.event_type for cls in self._handlers(Counter()))

    async def apply_batch(self, connection: Connection, events: Sequence[DomainEvent]) -> None:
        deltas: Deltas = Counter()
        await apply_in_waves(connection, events, self._handlers(deltas), FOLDED)
        # Last: every worker's batches share the few count rows (one per author and
        # status), so their locks are taken only now, held until the commit right after.
        await self._count(connection, deltas)

    def _handlers(self, deltas: Deltas) -> dict[type[DomainEvent], GroupHandler]:
        """The statement for each event type; creations and moves add to ``deltas``."""
        moved: GroupHandler = partial(self.on_status_change, deltas=deltas)
        return {
            TicketCreated: partial(self.on_created, deltas=deltas),
            TicketEdited: self.on_edited,
            CommentAdded: self.on_comment_added,
            **{cls: moved for cls in MOVES},
        }

    async def on_created(
        self, connection: Connection, events: list[TicketCreated], deltas: Deltas
    ) -> set[UUID]:
        rows = await connection.fetch(
            self.sql_create,
            *event_keys(events),
            [e.title for e in events],
            [e.actor_id for e in events],
            [e.actor_name for e in events],
            INITIAL.value,
        )
        deltas.update((r["author_id"], INITIAL) for r in rows)
        return {r["ticket_id"] for r in rows}  # a conflict means: created before

    async def on_edited(self, connection: Connection, events: list[TicketEdited]) -> set[UUID]:
        rows = await connection.fetch(self.sql_edit, *event_keys(events), [e.title for e in events])
        return await self._checked(connection, events, rows)

    async def on_comment_added(self, connection: Connection, runs: list[Run]) -> set[UUID]:
        lasts = [run.last for run in runs]
        counts = [len(run.events) for run in runs]
        rows = await connection.fetch(self.sql_comment, *event_keys(lasts), counts)
        return await self._checked(connection, lasts, rows)

    async def on_status_change(
        self, connection: Connection, events: list[DomainEvent], deltas: Deltas
    ) -> set[UUID]:
        old, new = MOVES[type(events[0])]
        rows = await connection.fetch(self.sql_move, *event_keys(events), old.value, new.value)
        for r in rows:
            deltas[(r["author_id"], old)] -= 1
            deltas[(r["author_id"], new)] += 1
        return await self._checked(connection, events, rows)

    async def _checked(
        self, connection: Connection, events: Sequence[DomainEvent], rows: list[Any]
    ) -> set[UUID]:
        applied = {r["ticket_id"] for r in rows}
        await check_not_applied(connection, self.table, list(events), applied)
        return applied

    async def _count(self, connection: Connection, deltas: Deltas) -> None:
        # A ticket moved twice in the batch nets out: a zero row is not locked at all.
        # Sorted: concurrent workers upsert shared count rows in one order, so they
        # wait for each other instead of deadlocking.
        keys = sorted(k for k, n in deltas.items() if n)
        if keys:
            await connection.execute(
                self.sql_count,
                [a for a, _ in keys],
                [s.value for _, s in keys],
                [deltas[k] for k in keys],
            )
