"""Writes other than one command's: many tickets (a RunBatch, as the seeder sends), one
ticket changed several times in one unit of work, or only an idempotency record. Every
row set is passed as one array per column and unnested, in one statement, inside a
transaction when it writes tickets (see ``write_many``). One command's write is in
command_writes."""

from collections.abc import Sequence
from typing import Any

from asyncpg.pool import PoolConnectionProxy

from tickets.application.errors import ConcurrencyConflict
from tickets.application.ports import MessageContext
from tickets.infrastructure.command_writes import (
    changed_ticket_values,
    comment_values,
    new_ticket_values,
    record_values,
)
from tickets.infrastructure.outbox_rows import outbox_values
from tickets.infrastructure.ticket_changes import IdempotencyRecord, TicketChange

# ``complete`` has its one row only if every ticket was written ($17 of them): when a
# version guard loses (see command_writes.CHANGE_ONE), no comment, outbox row or
# idempotency record is written either. Outbox rows are inserted in the events' order,
# so their positions follow it.
WRITE_MANY = """
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

# Planned for this batch's own arrays (the join above is a nested loop of primary-key
# lookups for a few rows, a hash join for many), not by the plan the pooled connection
# keeps: one more round trip per batch, not per command.
_PLAN_FOR_THESE_ROWS = "SET LOCAL plan_cache_mode = force_custom_plan"


async def write_many(
    connection: PoolConnectionProxy,
    changes: Sequence[TicketChange],
    context: MessageContext,
    record: IdempotencyRecord | None,
) -> int:
    """Write everything; the number of tickets written (fewer: a version guard lost, and
    nothing was written)."""
    arguments = _arguments(changes, context, record)
    if not changes:  # only the record: one statement, atomic on its own
        written: int = await connection.fetchval(WRITE_MANY, *arguments)
        return written
    # With several tickets one guard can lose after another ticket was updated; the
    # transaction takes that update back.
    async with connection.transaction():
        await connection.execute(_PLAN_FOR_THESE_ROWS)
        written = await connection.fetchval(WRITE_MANY, *arguments)
        if written != len(changes):
            raise ConcurrencyConflict()
    return written


def _arguments(
    changes: Sequence[TicketChange], context: MessageContext, record: IdempotencyRecord | None
) -> list[Any]:
    """The statement's parameters in order: one tuple per column of each row set."""
    new = [new_ticket_values(c.ticket) for c in changes if c.loaded_version is None]
    # Row locks in primary-key order, so two batches changing the same tickets take
    # them in the same order when the UPDATE's plan is a nested loop over the unnested
    # rows (a hash join locks in the table's order, the same for both). Were two plans
    # to differ, PostgreSQL detects the deadlock and one batch fails with
    # ConcurrencyConflict.
    changed = sorted(
        (changed_ticket_values(c) for c in changes if c.loaded_version is not None),
        key=_first,
    )
    comments = [comment_values(comment) for c in changes for comment in c.new_comments]
    events = [event for c in changes for event in c.events]
    return [
        *_columns(9, new),
        *_columns(7, changed),
        len(changes),
        *_columns(6, comments),
        *_columns(7, outbox_values(events, context)),
        *record_values(record),
    ]


def _columns(width: int, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows as one tuple per column (``width`` columns, empty ones for no rows)."""
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _first(values: tuple[Any, ...]) -> Any:
    return values[0]
