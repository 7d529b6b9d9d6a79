"""Everything a unit of work writes at commit: its tickets, their new comments, one
outbox row per event and the idempotency record, in one SQL statement.

SQL style of the write side (here, ticket_repository, idempotency and user_repository):
plain PostgreSQL text with asyncpg's ``$n`` parameters, run on the unit of work's
asyncpg connection. A row set is passed as one array per column and unnested, so one
ticket and a batch of tickets run the same statement.

A command changes at most one ticket, so its whole write is this one statement, which
PostgreSQL runs atomically as one implicit transaction: two round trips per command in
all (the load, then this). A batch (seeding) changes many tickets; see ``write``.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from tickets.application.errors import ConcurrencyConflict, IdempotencyRace
from tickets.application.ports import MessageContext
from tickets.domain.events import DomainEvent
from tickets.domain.ticket import Comment, Ticket
from tickets.infrastructure.outbox_rows import outbox_rows


@dataclass(frozen=True)
class TicketChange:
    """One ticket to write: new (``loaded_version`` None) or changed since it was loaded
    at ``loaded_version``; with the comments and events added since."""

    ticket: Ticket
    loaded_version: int | None
    new_comments: Sequence[Comment]
    events: Sequence[DomainEvent]


@dataclass(frozen=True)
class IdempotencyRecord:
    """A command's response, stored under the client's key with the change it made."""

    scope: str
    key: str
    fingerprint: str
    response: dict[str, Any]


# Optimistic concurrency: ``updated`` changes a ticket only if it still has the version
# this unit of work loaded. Under READ COMMITTED the UPDATE waits for a concurrent
# writer's row lock, then re-checks the condition on the row that writer committed: it
# no longer matches, so the later of two racing writers updates no row and loses.
# Every dependent row is selected FROM ``complete``, which has a row only if every
# ticket was written ($17 of them): when a guard loses, no comment, outbox row or
# idempotency record is written either, and the statement reports fewer tickets. A
# taken idempotency key is a unique violation, which aborts the whole statement.
# Outbox rows are inserted in the events' order, so their positions follow it.
WRITE = """
WITH inserted AS (
    INSERT INTO tickets.tickets (id, title, description, author_id, author_name, status,
                                 version, created_at, updated_at)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[],
                         $6::text[], $7::integer[], $8::timestamptz[], $9::timestamptz[])
    RETURNING id
), updated AS (
    UPDATE tickets.tickets AS t
       SET title = c.title, description = c.description, status = c.status,
           version = c.version, updated_at = c.updated_at
      FROM unnest($10::uuid[], $11::integer[], $12::text[], $13::text[], $14::text[],
                  $15::integer[], $16::timestamptz[])
           AS c(id, loaded, title, description, status, version, updated_at)
     WHERE t.id = c.id AND t.version = c.loaded
    RETURNING t.id
), written AS (
    SELECT (SELECT count(*) FROM inserted) + (SELECT count(*) FROM updated) AS tickets
), complete AS (
    SELECT FROM written WHERE tickets = $17
), comments AS (
    INSERT INTO tickets.comments (id, ticket_id, author_id, author_name, body, created_at)
    SELECT c.id, c.ticket_id, c.author_id, c.author_name, c.body, c.created_at
      FROM complete, unnest($18::uuid[], $19::uuid[], $20::uuid[], $21::text[],
                            $22::text[], $23::timestamptz[])
           AS c(id, ticket_id, author_id, author_name, body, created_at)
), outbox AS (
    INSERT INTO tickets.outbox_messages (id, aggregate_id, aggregate_version, event_type,
                                         payload, metadata, occurred_at)
    SELECT o.id, o.aggregate_id, o.version, o.event_type, o.payload::jsonb,
           o.metadata::jsonb, o.occurred_at
      FROM complete, unnest($24::uuid[], $25::uuid[], $26::integer[], $27::text[],
                            $28::text[], $29::text[], $30::timestamptz[])
           WITH ORDINALITY AS o(id, aggregate_id, version, event_type, payload, metadata,
                                occurred_at, n)
     ORDER BY o.n
), idempotency AS (
    INSERT INTO tickets.idempotency_keys (scope, key, fingerprint, response)
    SELECT $31::text, $32::text, $33::text, $34::text::jsonb
      FROM complete
     WHERE $32::text IS NOT NULL
)
SELECT tickets FROM written
"""


async def write(
    connection: PoolConnectionProxy,
    changes: Sequence[TicketChange],
    context: MessageContext,
    record: IdempotencyRecord | None,
) -> None:
    """Write the changes, their outbox rows and the record, all or nothing.

    ConcurrencyConflict if another command changed a ticket after it was loaded;
    IdempotencyRace if another request stored the record's key first.
    """
    if not changes and record is None:
        return
    arguments = _arguments(changes, context, record)
    try:
        if len(changes) <= 1:
            written = await connection.fetchval(WRITE, *arguments)
        else:
            # With several tickets one guard can lose after another ticket was updated;
            # the transaction takes that update back.
            async with connection.transaction():
                written = await connection.fetchval(WRITE, *arguments)
                if written != len(changes):
                    raise ConcurrencyConflict()
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name == "idempotency_keys_pkey":
            raise IdempotencyRace() from error
        raise
    except asyncpg.DeadlockDetectedError as error:
        # Two batches updating the same tickets in different orders: one loses.
        raise ConcurrencyConflict() from error
    if written != len(changes):
        raise ConcurrencyConflict()


def _arguments(
    changes: Sequence[TicketChange], context: MessageContext, record: IdempotencyRecord | None
) -> list[Any]:
    """The statement's parameters in order: one tuple per column of each row set."""
    new = [c.ticket for c in changes if c.loaded_version is None]
    # Row locks in primary-key order, so two batches changing the same tickets take
    # them in the same order: the UPDATE's plan is a nested loop over the unnested
    # rows, locking each ticket in turn. Were a plan ever to differ, PostgreSQL detects
    # the deadlock and one batch fails with ConcurrencyConflict.
    changed = sorted((c for c in changes if c.loaded_version is not None), key=_ticket_id)
    comments = [comment for c in changes for comment in c.new_comments]
    outbox = outbox_rows([event for c in changes for event in c.events], context)
    return [
        *_columns(
            9,
            [
                (
                    t.id,
                    t.title,
                    t.description,
                    t.author_id,
                    t.author_name,
                    t.status.value,
                    t.version,
                    t.created_at,
                    t.updated_at,
                )
                for t in new
            ],
        ),
        *_columns(
            7,
            [
                (
                    c.ticket.id,
                    c.loaded_version,
                    c.ticket.title,
                    c.ticket.description,
                    c.ticket.status.value,
                    c.ticket.version,
                    c.ticket.updated_at,
                )
                for c in changed
            ],
        ),
        len(changes),
        *_columns(
            6,
            [
                (c.id, c.ticket_id, c.author_id, c.author_name, c.body, c.created_at)
                for c in comments
            ],
        ),
        *_columns(
            7,
            [
                (
                    o["id"],
                    o["aggregate_id"],
                    o["aggregate_version"],
                    o["event_type"],
                    json.dumps(o["payload"]),
                    json.dumps(o["metadata"]),
                    o["occurred_at"],
                )
                for o in outbox
            ],
        ),
        *_record_columns(record),
    ]


def _columns(width: int, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows as one tuple per column (``width`` columns, empty ones for no rows)."""
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _record_columns(record: IdempotencyRecord | None) -> tuple[str | None, ...]:
    if record is None:
        return None, None, None, None
    return record.scope, record.key, record.fingerprint, json.dumps(record.response)


def _ticket_id(change: TicketChange) -> Any:
    return change.ticket.id
