"""Projection `ticket_details`: one row per ticket with its description, decision,
comments and history timeline. One function per event type, each a set-based raw
SQL upsert over one wave (see batching.py), guarded by version.

After applying, it sends NOTIFY tickets_read '<ticket>:<version>' (delivered on
commit), which wakes readers waiting for their own write.
"""

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from tickets.domain.events import (
    CommentAdded,
    DomainEvent,
    TicketApproved,
    TicketCreated,
    TicketEdited,
    TicketRejected,
    TicketReopened,
    TicketSubmitted,
)
from tickets.readmodel.batching import GroupHandler, Run, apply_in_waves, event_keys
from tickets.readmodel.connection import Connection
from tickets.readmodel.guard import check_not_applied
from tickets.readmodel.moves import INITIAL, MOVES

READ_CHANNEL = "tickets_read"
FOLDED: frozenset[type] = frozenset({CommentAdded})  # applied as runs, see batching.py

# Every statement takes the events as parallel arrays: id, version, time and the
# history entries to append (JSON text: asyncpg would read a dict inside a list as a
# nested array), then its own columns. An update moves a row from version N-1 to N
# only. {t} is the table (a rebuild's shadow table carries a suffix).
CREATE = """
    INSERT INTO {t} (ticket_id, version, created_at, updated_at, history, title,
                     description, status, author_id, author_name)
    SELECT e.id, e.v, e.at, e.at, e.h::jsonb, e.title, e.description, $9, e.author, e.name
      FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[], $5::text[],
                  $6::text[], $7::uuid[], $8::text[])
           AS e(id, v, at, h, title, description, author, name)
    ON CONFLICT DO NOTHING RETURNING ticket_id"""
EDIT = """
    UPDATE {t} t SET updated_at = e.at, version = e.v, history = t.history || e.h::jsonb,
                     title = e.title, description = e.description
      FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[], $5::text[],
                  $6::text[]) AS e(id, v, at, h, title, description)
     WHERE t.ticket_id = e.id AND t.version = e.v - 1
    RETURNING t.ticket_id"""
SUBMIT = """
    UPDATE {t} t SET updated_at = e.at, version = e.v, history = t.history || e.h::jsonb,
                     status = $5
      FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[]) AS e(id, v, at, h)
     WHERE t.ticket_id = e.id AND t.version = e.v - 1
    RETURNING t.ticket_id"""
DECIDE = """
    UPDATE {t} t SET updated_at = e.at, version = e.v, history = t.history || e.h::jsonb,
                     status = e.outcome, decision = e.outcome, decided_by_id = e.by_id,
                     decided_by_name = e.by_name, decided_at = e.at, reason = e.reason
      FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[], $5::text[],
                  $6::uuid[], $7::text[], $8::text[])
           AS e(id, v, at, h, outcome, by_id, by_name, reason)
     WHERE t.ticket_id = e.id AND t.version = e.v - 1
    RETURNING t.ticket_id"""
REOPEN = """
    UPDATE {t} t SET updated_at = e.at, version = e.v, history = t.history || e.h::jsonb,
                     status = $5, decision = NULL, decided_by_id = NULL,
                     decided_by_name = NULL, decided_at = NULL, reason = NULL
      FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[]) AS e(id, v, at, h)
     WHERE t.ticket_id = e.id AND t.version = e.v - 1
    RETURNING t.ticket_id"""
# A run of n comments (see batching.py) moves the row from v - n to v at once.
COMMENT = """
    UPDATE {t} t SET updated_at = e.at, version = e.v, history = t.history || e.h::jsonb,
                     comments = t.comments || e.c::jsonb
      FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[], $5::text[],
                  $6::int[]) AS e(id, v, at, h, c, n)
     WHERE t.ticket_id = e.id AND t.version = e.v - e.n
    RETURNING t.ticket_id"""


def history_entry(*events: DomainEvent) -> str:
    """A JSON array of the events' entries, to append to ``history``."""
    return json.dumps(
        [
            {
                "event_type": e.event_type,
                "version": e.version,
                "actor": {"id": str(e.actor_id), "name": e.actor_name},
                "at": e.occurred_at.isoformat(),
            }
            for e in events
        ]
    )


class TicketDetailsProjection:
    name = "ticket_details"

    def __init__(self, suffix: str = "", notify: bool = True) -> None:
        self.table = f"read.ticket_details{suffix}"
        self.notify = notify
        self.sql_create = CREATE.format(t=self.table)
        self.sql_edit = EDIT.format(t=self.table)
        self.sql_submit = SUBMIT.format(t=self.table)
        self.sql_decide = DECIDE.format(t=self.table)
        self.sql_reopen = REOPEN.format(t=self.table)
        self.sql_comment = COMMENT.format(t=self.table)
        self.handlers: dict[type[DomainEvent], GroupHandler] = {
            TicketCreated: self.on_created,
            TicketEdited: self.on_edited,
            TicketSubmitted: self.on_submitted,
            TicketApproved: self.on_decided,
            TicketRejected: self.on_decided,
            TicketReopened: self.on_reopened,
            CommentAdded: self.on_comment_added,
        }
        self.event_types = frozenset(cls.event_type for cls in self.handlers)

    async def apply_batch(self, connection: Connection, events: Sequence[DomainEvent]) -> None:
        applied = await apply_in_waves(connection, events, self.handlers, FOLDED)
        if applied and self.notify:
            latest: dict[UUID, int] = {}
            for e in applied:
                latest[e.ticket_id] = max(e.version, latest.get(e.ticket_id, 0))
            await connection.execute(
                "SELECT pg_notify($1, n) FROM unnest($2::text[]) AS n",
                READ_CHANNEL,
                [f"{ticket}:{version}" for ticket, version in latest.items()],
            )

    async def on_created(self, connection: Connection, events: list[TicketCreated]) -> set[UUID]:
        rows = await connection.fetch(
            self.sql_create,
            *_base(events),
            [e.title for e in events],
            [e.description for e in events],
            [e.actor_id for e in events],
            [e.actor_name for e in events],
            INITIAL.value,
        )
        return {r["ticket_id"] for r in rows}

    async def on_edited(self, connection: Connection, events: list[TicketEdited]) -> set[UUID]:
        extra = ([e.title for e in events], [e.description for e in events])
        return await self._update(connection, self.sql_edit, events, *extra)

    async def on_submitted(
        self, connection: Connection, events: list[TicketSubmitted]
    ) -> set[UUID]:
        return await self._update(
            connection, self.sql_submit, events, MOVES[TicketSubmitted][1].value
        )

    async def on_decided(
        self, connection: Connection, events: list[TicketApproved | TicketRejected]
    ) -> set[UUID]:
        return await self._update(
            connection,
            self.sql_decide,
            events,
            [MOVES[type(e)][1].value for e in events],
            [e.actor_id for e in events],
            [e.actor_name for e in events],
            [e.reason if isinstance(e, TicketRejected) else None for e in events],
        )

    async def on_reopened(self, connection: Connection, events: list[TicketReopened]) -> set[UUID]:
        return await self._update(
            connection, self.sql_reopen, events, MOVES[TicketReopened][1].value
        )

    async def on_comment_added(self, connection: Connection, runs: list[Run]) -> set[UUID]:
        comments = [json.dumps([_comment(e) for e in run.events]) for run in runs]
        lasts = [run.last for run in runs]
        history = [history_entry(*run.events) for run in runs]
        rows = await connection.fetch(
            self.sql_comment, *event_keys(lasts), history, comments, [len(r.events) for r in runs]
        )
        applied = {r["ticket_id"] for r in rows}
        await check_not_applied(connection, self.table, lasts, applied)
        return applied

    async def _update(
        self, connection: Connection, sql: str, events: Sequence[DomainEvent], *extra: object
    ) -> set[UUID]:
        rows = await connection.fetch(sql, *_base(events), *extra)
        applied = {r["ticket_id"] for r in rows}
        await check_not_applied(connection, self.table, list(events), applied)
        return applied


def _comment(e: DomainEvent) -> dict[str, Any]:
    assert isinstance(e, CommentAdded)
    return {
        "id": str(e.comment_id),
        "author": {"id": str(e.actor_id), "name": e.actor_name},
        "body": e.body,
        "created_at": e.occurred_at.isoformat(),
    }


def _base(events: Sequence[DomainEvent]) -> tuple[list[Any], ...]:
    """The arrays every statement starts with: keys, then one history entry each."""
    return (*event_keys(events), [history_entry(e) for e in events])
