"""Everything a unit of work writes at commit: its tickets, their new comments, one
outbox row per event and the idempotency record, in one SQL statement.

SQL style of the write side (here, batch_writes, ticket_repository, idempotency and
user_repository): plain PostgreSQL text with asyncpg's ``$n`` parameters, run on the
unit of work's asyncpg connection.

A command changes one ticket and raises one event (adding a comment adds one comment):
its whole write is one statement (CREATE_ONE or CHANGE_ONE) with every value a scalar
parameter, which PostgreSQL runs atomically as one implicit transaction: two round
trips per command in all (the load, then this). Anything else (a batch of tickets, one
ticket changed several times) is written by batch_writes.
"""

from collections.abc import Sequence
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from tickets.application.errors import ConcurrencyConflict, IdempotencyRace
from tickets.application.ports import MessageContext
from tickets.infrastructure.batch_writes import write_many
from tickets.infrastructure.outbox_rows import outbox_values
from tickets.infrastructure.ticket_changes import (
    IdempotencyRecord,
    TicketChange,
    changed_ticket_values,
    comment_values,
    new_ticket_values,
    record_values,
)

# The rows that depend on the ticket ($1-$17, the same in both statements): at most one
# new comment, the event's outbox row and the idempotency record. Each is selected FROM
# ``ticket``, which has a row only if the ticket was written: when the version guard
# loses, none of them is written either. A taken idempotency key is a unique violation,
# which aborts the whole statement.
_DEPENDENTS = """
comment AS (
    INSERT INTO tickets.comments (id, ticket_id, author_id, author_name, body, created_at)
    SELECT $1::uuid, $2::uuid, $3::uuid, $4::text, $5::text, $6::timestamptz
      FROM ticket
     WHERE $1::uuid IS NOT NULL
), outbox AS (
    INSERT INTO tickets.outbox_messages (id, aggregate_id, aggregate_version, event_type,
                                         payload, metadata, occurred_at)
    SELECT $7::uuid, $8::uuid, $9::integer, $10::text, $11::text::jsonb, $12::text::jsonb,
           $13::timestamptz
      FROM ticket
), idempotency AS (
    INSERT INTO tickets.idempotency_keys (scope, key, fingerprint, response)
    SELECT $14::text, $15::text, $16::text, $17::text::jsonb
      FROM ticket
     WHERE $15::text IS NOT NULL
)"""

# The ticket's row by scalar parameters too, so that the generic plan each pooled
# connection keeps (see pools.COMMAND_SESSION) is a primary-key lookup whatever
# the table's size. (A join against unnested arrays was planned as a sequential scan
# when the table was small at the connection's first command, and kept that plan as
# the table grew.) Scalars also cost the driver less to send than arrays.
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

_NO_COMMENT = (None,) * 6


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
    try:
        if len(changes) == 1 and _one_command(changes[0]):
            written = await connection.fetchval(*_statement(changes[0], context, record))
        else:
            written = await write_many(connection, changes, context, record)
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name == "idempotency_keys_pkey":
            raise IdempotencyRace() from error
        raise
    except asyncpg.DeadlockDetectedError as error:
        # Two batches updating the same tickets in different orders: one loses.
        raise ConcurrencyConflict() from error
    if written != len(changes):
        raise ConcurrencyConflict()


def _one_command(change: TicketChange) -> bool:
    """The size of one command's change: one event, at most one new comment."""
    return len(change.events) == 1 and len(change.new_comments) <= 1


def _statement(
    change: TicketChange, context: MessageContext, record: IdempotencyRecord | None
) -> list[Any]:
    """CREATE_ONE or CHANGE_ONE, then its parameters in order."""
    comment = comment_values(change.new_comments[0]) if change.new_comments else _NO_COMMENT
    [outbox] = outbox_values(change.events, context)
    dependents = (*comment, *outbox, *record_values(record))
    if change.loaded_version is None:
        return [CREATE_ONE, *dependents, *new_ticket_values(change.ticket)]
    return [CHANGE_ONE, *dependents, *changed_ticket_values(change)]
