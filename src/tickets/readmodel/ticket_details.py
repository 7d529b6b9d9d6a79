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
from tickets.readmodel.batching import GroupHandler, Run, apply_in_waves
from tickets.readmodel.guard import check_not_applied

READ_CHANNEL = "tickets_read"
FOLDED: frozenset[type] = frozenset({CommentAdded})  # applied as runs, see batching.py
# every update: the version guard, and a history entry appended
# jsonb values go as JSON text (text[]): asyncpg would read a dict inside a list as a
# nested array
BASE = "$1::uuid[], $2::int[], $3::timestamptz[], $4::text[]"
TOUCH = "updated_at = e.at, version = e.v, history = t.history || e.h::jsonb"
GUARD = "t.ticket_id = e.id AND t.version = e.v - 1"


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
        self.table = t = f"read.ticket_details{suffix}"
        self.notify = notify

        def update(sets: str, extra: str = "", guard: str = GUARD) -> str:
            columns = "id, v, at, h" + "".join(f", {part.split()[0]}" for part in _parts(extra))
            types = BASE + "".join(f", ${i}::{k}[]" for i, k in _typed(extra))
            return f"""UPDATE {t} t SET {TOUCH}{", " + sets if sets else ""}
                         FROM unnest({types}) AS e({columns})
                        WHERE {guard} RETURNING t.ticket_id"""

        self.sql_create = f"""
            INSERT INTO {t} (ticket_id, version, created_at, updated_at, history, title,
                             description, status, author_id, author_name)
            SELECT e.id, e.v, e.at, e.at, e.h::jsonb, e.title, e.description, 'draft',
                   e.author, e.name
              FROM unnest({BASE}, $5::text[], $6::text[], $7::uuid[], $8::text[])
                   AS e(id, v, at, h, title, description, author, name)
            ON CONFLICT DO NOTHING RETURNING ticket_id"""
        self.sql_edit = update(
            "title = e.title, description = e.description", "title text, description text"
        )
        self.sql_submit = update("status = 'submitted'")
        self.sql_decide = update(
            "status = e.outcome, decision = e.outcome, decided_by_id = e.by_id, "
            "decided_by_name = e.by_name, decided_at = e.at, reason = e.reason",
            "outcome text, by_id uuid, by_name text, reason text",
        )
        self.sql_reopen = update(
            "status = 'draft', decision = NULL, decided_by_id = NULL, decided_by_name = NULL, "
            "decided_at = NULL, reason = NULL"
        )
        # A run of n comments (see batching.py) moves the row from v - n to v at once.
        self.sql_comment = update(
            "comments = t.comments || e.c::jsonb",
            "c text, n int",
            guard="t.ticket_id = e.id AND t.version = e.v - e.n",
        )
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

    async def apply(self, connection: Any, event: DomainEvent) -> None:
        await self.apply_batch(connection, [event])

    async def apply_batch(self, connection: Any, events: Sequence[DomainEvent]) -> None:
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

    async def on_created(self, connection: Any, events: list[TicketCreated]) -> set[UUID]:
        rows = await connection.fetch(
            self.sql_create,
            *_base(events),
            [e.title for e in events],
            [e.description for e in events],
            [e.actor_id for e in events],
            [e.actor_name for e in events],
        )
        return {r["ticket_id"] for r in rows}

    async def on_edited(self, connection: Any, events: list[TicketEdited]) -> set[UUID]:
        extra = ([e.title for e in events], [e.description for e in events])
        return await self._update(connection, self.sql_edit, events, *extra)

    async def on_submitted(self, connection: Any, events: list[TicketSubmitted]) -> set[UUID]:
        return await self._update(connection, self.sql_submit, events)

    async def on_decided(
        self, connection: Any, events: list[TicketApproved | TicketRejected]
    ) -> set[UUID]:
        return await self._update(
            connection,
            self.sql_decide,
            events,
            ["approved" if isinstance(e, TicketApproved) else "rejected" for e in events],
            [e.actor_id for e in events],
            [e.actor_name for e in events],
            [e.reason if isinstance(e, TicketRejected) else None for e in events],
        )

    async def on_reopened(self, connection: Any, events: list[TicketReopened]) -> set[UUID]:
        return await self._update(connection, self.sql_reopen, events)

    async def on_comment_added(self, connection: Any, runs: list[Run]) -> set[UUID]:
        comments = [json.dumps([_comment(e) for e in run.events]) for run in runs]
        lasts = [run.last for run in runs]
        history = [history_entry(*run.events) for run in runs]
        rows = await connection.fetch(
            self.sql_comment, *_base(lasts)[:3], history, comments, [len(r.events) for r in runs]
        )
        applied = {r["ticket_id"] for r in rows}
        await check_not_applied(connection, self.table, lasts, applied)
        return applied

    async def _update(
        self, connection: Any, sql: str, events: Sequence[DomainEvent], *extra: list[Any]
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
    return (
        [e.ticket_id for e in events],
        [e.version for e in events],
        [e.occurred_at for e in events],
        [history_entry(e) for e in events],
    )


def _parts(extra: str) -> list[str]:
    return [part for part in extra.split(", ") if part]


def _typed(extra: str) -> list[tuple[int, str]]:
    """'title text, c jsonb' -> [(5, 'text'), (6, 'jsonb')]: parameter numbers after BASE."""
    return [(5 + i, part.split()[1]) for i, part in enumerate(_parts(extra))]
