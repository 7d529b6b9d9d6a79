"""One command's write at commit: its ticket, its new comment, its outbox row and the
idempotency record, in one SQL statement.

SQL style of the write side (here, batch_writes, ticket_repository, idempotency and
user_repository): plain PostgreSQL text with asyncpg's ``$n`` parameters, run on the
unit of work's asyncpg connection.

A command changes one ticket and raises one event (adding a comment adds one comment):
its whole write is one statement (CREATE_ONE or CHANGE_ONE) with every value a scalar
parameter, which PostgreSQL runs atomically as one implicit transaction: two round
trips per command in all (the load, then this). Anything else (a batch of tickets, one
ticket changed several times) is written by batch_writes.

Each row set's columns are named once, below, in parameter order with their SQL types:
the statements number their parameters from those lists, and the values are read off
the domain objects by the same names (``attrgetter``, no extra work per call), so a
value cannot land in another column's parameter.
"""

import json
from collections.abc import Mapping
from operator import attrgetter
from typing import Any

from tickets.application.ports import MessageContext
from tickets.infrastructure.outbox_rows import OUTBOX_COLUMNS, outbox_values
from tickets.infrastructure.ticket_changes import IdempotencyRecord, TicketChange


class Columns:
    """A row set's columns in parameter order, each with its SQL type, from ``first``."""

    def __init__(self, first: int, typed: Mapping[str, str]) -> None:
        self.names = tuple(typed)
        self.first = first
        self.after = first + len(typed)
        self._types = tuple(typed.values())

    def param(self, name: str) -> str:
        """The typed parameter of one column, e.g. ``$15::text``."""
        i = self.names.index(name)
        return f"${self.first + i}::{self._types[i]}"

    def params(self, array: bool = False) -> str:
        """Every column's typed parameter, ``[]`` after each type for arrays."""
        suffix = "[]" if array else ""
        return ", ".join(f"${self.first + i}::{t}{suffix}" for i, t in enumerate(self._types))

    def __str__(self) -> str:
        return ", ".join(self.names)


# $1-$6: a new comment (six NULLs without one); a Comment's fields are these columns.
COMMENT = Columns(
    1,
    {
        "id": "uuid",
        "ticket_id": "uuid",
        "author_id": "uuid",
        "author_name": "text",
        "body": "text",
        "created_at": "timestamptz",
    },
)
comment_values = attrgetter(*COMMENT.names)
_NO_COMMENT = (None,) * len(COMMENT.names)

# $7-$13: the event's outbox row (payload and metadata as JSON text).
OUTBOX = Columns(COMMENT.after, OUTBOX_COLUMNS)

# $14-$17: the idempotency record (four NULLs without one; response as JSON text).
RECORD = Columns(
    OUTBOX.after, {"scope": "text", "key": "text", "fingerprint": "text", "response": "text::jsonb"}
)
_record_fields = attrgetter(*RECORD.names[:-1])

# $18-$26 of CREATE_ONE: the new ticket; a Ticket's fields are these columns.
NEW_TICKET = Columns(
    RECORD.after,
    {
        "id": "uuid",
        "title": "text",
        "description": "text",
        "author_id": "uuid",
        "author_name": "text",
        "status": "text",
        "version": "integer",
        "created_at": "timestamptz",
        "updated_at": "timestamptz",
    },
)
new_ticket_values = attrgetter(*NEW_TICKET.names)

# $18-$19 of CHANGE_ONE: which ticket, at the version loaded; $20-$24: what it becomes.
GUARD = Columns(RECORD.after, {"id": "uuid", "loaded_version": "integer"})
CHANGED = Columns(
    GUARD.after,
    {
        "title": "text",
        "description": "text",
        "status": "text",
        "version": "integer",
        "updated_at": "timestamptz",
    },
)
_changed_fields = attrgetter(*CHANGED.names)


def changed_ticket_values(change: TicketChange) -> tuple[Any, ...]:
    """GUARD's then CHANGED's values."""
    return (change.ticket.id, change.loaded_version, *_changed_fields(change.ticket))


def record_values(record: IdempotencyRecord | None) -> tuple[Any, ...]:
    """RECORD's values; four NULLs without a record."""
    if record is None:
        return _NO_RECORD
    return (*_record_fields(record), json.dumps(record.response))


_NO_RECORD = (None,) * len(RECORD.names)

# The rows that depend on the ticket: at most one new comment, the event's outbox row
# and the idempotency record. Each is selected FROM ``ticket``, which has a row only if
# the ticket was written: when the version guard loses, none of them is written either.
# A taken idempotency key is a unique violation, which aborts the whole statement.
_DEPENDENTS = f"""
comment AS (
    INSERT INTO tickets.comments ({COMMENT})
    SELECT {COMMENT.params()}
      FROM ticket
     WHERE {COMMENT.param("id")} IS NOT NULL
), outbox AS (
    INSERT INTO tickets.outbox_messages ({OUTBOX})
    SELECT {OUTBOX.params()}
      FROM ticket
), idempotency AS (
    INSERT INTO tickets.idempotency_keys ({RECORD})
    SELECT {RECORD.params()}
      FROM ticket
     WHERE {RECORD.param("key")} IS NOT NULL
)"""

# The ticket's row by scalar parameters too, so that the generic plan each pooled
# connection keeps (see pools.COMMAND_SESSION) is a primary-key lookup whatever the
# table's size: a join against unnested arrays can be planned as a sequential scan
# while the table is small and keep that plan as it grows. Scalars also cost the
# driver less to send than arrays.
CREATE_ONE = f"""
WITH ticket AS (
    INSERT INTO tickets.tickets ({NEW_TICKET})
    VALUES ({NEW_TICKET.params()})
    RETURNING id
), {_DEPENDENTS}
SELECT count(*) FROM ticket
"""

# Optimistic concurrency: the UPDATE changes the ticket only if it still has the version
# this unit of work loaded. Under READ COMMITTED it waits for a concurrent writer's row
# lock, then re-checks the condition on the row that writer committed: it no longer
# matches, so the later of two racing writers updates no row and loses.
_SET = ", ".join(f"{name} = {CHANGED.param(name)}" for name in CHANGED.names)
CHANGE_ONE = f"""
WITH ticket AS (
    UPDATE tickets.tickets
       SET {_SET}
     WHERE id = {GUARD.param("id")} AND version = {GUARD.param("loaded_version")}
    RETURNING id
), {_DEPENDENTS}
SELECT count(*) FROM ticket
"""


def is_one_command(change: TicketChange) -> bool:
    """The size of one command's change: one event, at most one new comment."""
    return len(change.events) == 1 and len(change.new_comments) <= 1


def statement(
    change: TicketChange, context: MessageContext, record: IdempotencyRecord | None
) -> list[Any]:
    """CREATE_ONE or CHANGE_ONE, then its parameters in order."""
    comment = comment_values(change.new_comments[0]) if change.new_comments else _NO_COMMENT
    [outbox] = outbox_values(change.events, context)
    dependents = (*comment, *outbox, *record_values(record))
    if change.loaded_version is None:
        return [CREATE_ONE, *dependents, *new_ticket_values(change.ticket)]
    return [CHANGE_ONE, *dependents, *changed_ticket_values(change)]
