"""Everything a unit of work writes at commit: its tickets, their new comments, one
outbox row per event and the idempotency record, in one SQL statement.

SQL style of the write side (here, ticket_repository, idempotency and user_repository):
plain PostgreSQL text with asyncpg's ``$n`` parameters, run on the unit of work's
asyncpg connection. A row set (comments, outbox rows, a batch's tickets) is passed as
one array per column and unnested.

A command changes at most one ticket, so its whole write is one statement (CREATE_ONE
or CHANGE_ONE), which PostgreSQL runs atomically as one implicit transaction: two round
trips per command in all (the load, then this). A batch (seeding) changes many tickets
in one transaction (WRITE_MANY); see ``write``.
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


# A command's rows that depend on its ticket: new comments, one outbox row per event and
# the idempotency record ($1-$17, the same in every statement below). Each is selected
# FROM ``ticket``, which has a row only if the ticket was written: when the version
# guard loses, none of them is written either. A taken idempotency key is a unique
# violation, which aborts the whole statement. Outbox rows are inserted in the events'
# order, so their positions follow it.
_DEPENDENTS = """
comments AS (
    INSERT INTO tickets.comments (id, ticket_id, author_id, author_name, body, created_at)
    SELECT c.id, c.ticket_id, c.author_id, c.author_name, c.body, c.created_at
      FROM ticket, unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                          $6::timestamptz[])
           AS c(id, ticket_id, author_id, author_name, body, created_at)
), outbox AS (
    INSERT INTO tickets.outbox_messages (id, aggregate_id, aggregate_version, event_type,
                                         payload, metadata, occurred_at)
    SELECT o.id, o.aggregate_id, o.version, o.event_type, o.payload::jsonb,
           o.metadata::jsonb, o.occurred_at
      FROM ticket, unnest($7::uuid[], $8::uuid[], $9::integer[], $10::text[], $11::text[],
                          $12::text[], $13::timestamptz[])
           WITH ORDINALITY AS o(id, aggregate_id, version, event_type, payload, metadata,
                                occurred_at, n)
     ORDER BY o.n
), idempotency AS (
    INSERT INTO tickets.idempotency_keys (scope, key, fingerprint, response)
    SELECT $14::text, $15::text, $16::text, $17::text::jsonb
      FROM ticket
     WHERE $15::text IS NOT NULL
)"""

# One ticket, the write of every command: its row by scalar parameters, so that the
# generic plan each pooled connection keeps (see unit_of_work.COMMAND_SESSION) is a
# primary-key lookup whatever the table's size. (A join against unnested arrays was
# planned as a sequential scan when the table was small at the connection's first
# command, and kept that plan as the table grew.)
CREATE_ONE = f"""
WITH ticket AS (
    INSERT INTO tickets.tickets (id, title, description, author_id, author_name, status,
                                 version, created_at, updated_at)
    VALUES ($18, $19, $20, $21, $22, $23, $24, $25, $26)
    RETURNING id
), {_DEPENDENTS}
SELECT count(*) FROM ticket
"""

# Optimistic concurrency: the UPDATE changes the ticket only if it still has the version
# this unit of work loaded. Under READ COMMITTED it waits for a concurrent writer's row
# lock, then re-checks the condition on the row that writer committed: it no longer
# matches, so the later of two racing writers updates no row and loses.
CHANGE_ONE = f"""
WITH ticket AS (
    UPDATE tickets.tickets
       SET title = $20, description = $21, status = $22, version = $23, updated_at = $24
     WHERE id = $18 AND version = $19
    RETURNING id
), {_DEPENDENTS}
SELECT count(*) FROM ticket
"""

# Any number of tickets (a batch, or none with only an idempotency record), as one
# array per column, unnested; ``ticket`` has its one row only if every ticket was
# written ($18 of them), the same guard as above.
WRITE_MANY = f"""
WITH inserted AS (
    INSERT INTO tickets.tickets (id, title, description, author_id, author_name, status,
                                 version, created_at, updated_at)
    SELECT * FROM unnest($19::uuid[], $20::text[], $21::text[], $22::uuid[], $23::text[],
                         $24::text[], $25::integer[], $26::timestamptz[], $27::timestamptz[])
    RETURNING id
), updated AS (
    UPDATE tickets.tickets AS t
       SET title = c.title, description = c.description, status = c.status,
           version = c.version, updated_at = c.updated_at
      FROM unnest($28::uuid[], $29::integer[], $30::text[], $31::text[], $32::text[],
                  $33::integer[], $34::timestamptz[])
           AS c(id, loaded, title, description, status, version, updated_at)
     WHERE t.id = c.id AND t.version = c.loaded
    RETURNING t.id
), written AS (
    SELECT (SELECT count(*) FROM inserted) + (SELECT count(*) FROM updated) AS tickets
), ticket AS (
    SELECT FROM written WHERE tickets = $18
), {_DEPENDENTS}
SELECT tickets FROM written
"""

# A batch's statement is planned for its own arrays (the join above is a nested loop
# of primary-key lookups for a few rows, a hash join for many); one more round trip per
# batch, not per command.
_PLAN_FOR_THESE_ROWS = "SET LOCAL plan_cache_mode = force_custom_plan"


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
    arguments = _dependent_arguments(changes, context, record)
    try:
        if len(changes) == 1:
            # One statement, which PostgreSQL runs atomically as one implicit transaction.
            statement, ticket_arguments = _one_ticket(changes[0])
            written = await connection.fetchval(statement, *arguments, *ticket_arguments)
        elif not changes:  # only an idempotency record: one statement too
            written = await connection.fetchval(WRITE_MANY, *arguments, 0, *_ticket_columns(()))
        else:
            # With several tickets one guard can lose after another ticket was updated;
            # the transaction takes that update back.
            async with connection.transaction():
                await connection.execute(_PLAN_FOR_THESE_ROWS)
                written = await connection.fetchval(
                    WRITE_MANY, *arguments, len(changes), *_ticket_columns(changes)
                )
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


def _dependent_arguments(
    changes: Sequence[TicketChange], context: MessageContext, record: IdempotencyRecord | None
) -> list[Any]:
    """$1-$17: one tuple per column of the comments and the outbox rows, then the record."""
    comments = [comment for c in changes for comment in c.new_comments]
    outbox = outbox_rows([event for c in changes for event in c.events], context)
    return [
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


def _one_ticket(change: TicketChange) -> tuple[str, tuple[Any, ...]]:
    """CREATE_ONE or CHANGE_ONE, and its ticket parameters ($18 on)."""
    t = change.ticket
    if change.loaded_version is None:
        return CREATE_ONE, _row(t)
    loaded = change.loaded_version
    return CHANGE_ONE, (
        t.id,
        loaded,
        t.title,
        t.description,
        t.status.value,
        t.version,
        t.updated_at,
    )


def _row(t: Ticket) -> tuple[Any, ...]:
    """A new ticket's columns, in the INSERT's order."""
    return (
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


def _ticket_columns(changes: Sequence[TicketChange]) -> list[tuple[Any, ...]]:
    """WRITE_MANY's $19-$34: the new tickets' columns, then the changed ones'."""
    new = [_row(c.ticket) for c in changes if c.loaded_version is None]
    # Row locks in primary-key order, so two batches changing the same tickets take
    # them in the same order when the UPDATE's plan is a nested loop over the unnested
    # rows (a hash join locks in the table's order, the same for both). Were two plans
    # to differ, PostgreSQL detects the deadlock and one batch fails with
    # ConcurrencyConflict.
    changed = sorted((c for c in changes if c.loaded_version is not None), key=_ticket_id)
    return [
        *_columns(9, new),
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
