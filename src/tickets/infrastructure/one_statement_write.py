"""A command's whole write in one SQL statement, for the common case of one ticket.

A command loads at most one ticket, changes it and raises events. Written as separate
statements inside BEGIN … COMMIT that costs five round trips (BEGIN, SELECT, UPDATE,
INSERT, COMMIT); here the SELECT runs on its own and everything else is one statement
whose data-modifying CTEs PostgreSQL runs atomically, as one implicit transaction: two
round trips in all, and the outbox rows still commit together with the ticket.
"""

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from tickets.domain.ticket import Comment, Ticket
from tickets.infrastructure.database import driver_sql

# The first CTE writes the ticket and returns its id only if the write happened; every
# other CTE selects FROM it, so when the version guard matches no row (a concurrent
# writer won, see ticket_repository._UPDATE) no comment, outbox row or idempotency
# record is written either, and the statement reports 0. A taken idempotency key is a
# unique violation, which aborts the whole statement: nothing of it is stored.
_INSERT_TICKET = """
    INSERT INTO tickets.tickets (id, title, description, author_id, author_name, status,
                                 version, created_at, updated_at)
    VALUES (:id, :title, :description, :author_id, :author_name, :status, :version,
            :created_at, :updated_at)
    RETURNING id"""
_UPDATE_TICKET = """
    UPDATE tickets.tickets
       SET title = :title, description = :description, status = :status,
           version = :version, updated_at = :updated_at
     WHERE id = :id AND version = :loaded
    RETURNING id"""
_DEPENDENTS = """,
comments AS (
    INSERT INTO tickets.comments (id, ticket_id, author_id, author_name, body, created_at)
    SELECT c.id, c.ticket_id, c.author_id, c.author_name, c.body, c.created_at
      FROM written, unnest(CAST(:c_id AS uuid[]), CAST(:c_ticket AS uuid[]),
                           CAST(:c_author AS uuid[]), CAST(:c_author_name AS text[]),
                           CAST(:c_body AS text[]), CAST(:c_at AS timestamptz[]))
           AS c(id, ticket_id, author_id, author_name, body, created_at)
), outbox AS (
    INSERT INTO tickets.outbox_messages (id, aggregate_id, aggregate_version, event_type,
                                         payload, metadata, occurred_at)
    SELECT o.id, o.aggregate_id, o.version, o.event_type, CAST(o.payload AS jsonb),
           CAST(o.metadata AS jsonb), o.occurred_at
      FROM written, unnest(CAST(:o_id AS uuid[]), CAST(:o_aggregate AS uuid[]),
                           CAST(:o_version AS integer[]), CAST(:o_type AS text[]),
                           CAST(:o_payload AS text[]), CAST(:o_metadata AS text[]),
                           CAST(:o_at AS timestamptz[]))
           WITH ORDINALITY AS o(id, aggregate_id, version, event_type, payload, metadata,
                                occurred_at, n)
     ORDER BY o.n  -- positions follow the events' order
), idempotency AS (
    INSERT INTO tickets.idempotency_keys (scope, key, fingerprint, response)
    SELECT CAST(:i_scope AS text), CAST(:i_key AS text), CAST(:i_fingerprint AS text),
           CAST(:i_response AS jsonb)
      FROM written
     WHERE CAST(:i_key AS text) IS NOT NULL
)
SELECT count(*) FROM written"""
CREATE = f"WITH written AS ({_INSERT_TICKET}){_DEPENDENTS}"
CHANGE = f"WITH written AS ({_UPDATE_TICKET}){_DEPENDENTS}"


async def write_ticket(
    connection: AsyncConnection,
    ticket: Ticket,
    loaded_version: int | None,
    comments: list[Comment],
    outbox: list[dict[str, Any]],
    idempotency: dict[str, Any] | None,
) -> bool:
    """Insert (``loaded_version`` None) or update the ticket with its new comments,
    outbox rows and idempotency record, atomically. False if the version guard lost."""
    params: dict[str, Any] = {
        "id": ticket.id,
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status.value,
        "version": ticket.version,
        "updated_at": ticket.updated_at,
        **_columns(comments, outbox, idempotency),
    }
    if loaded_version is None:
        statement = CREATE
        params.update(
            author_id=ticket.author_id,
            author_name=ticket.author_name,
            created_at=ticket.created_at,
        )
    else:
        statement = CHANGE
        params["loaded"] = loaded_version
    sql, names = driver_sql(statement, connection.dialect)
    result = await connection.exec_driver_sql(sql, tuple(params[n] for n in names))
    written = result.scalar_one()
    return bool(written)


def _columns(
    comments: list[Comment], outbox: list[dict[str, Any]], idempotency: dict[str, Any] | None
) -> dict[str, Any]:
    """The dependent rows as one array per column, for unnest."""
    key = idempotency or {}
    return {
        "c_id": [c.id for c in comments],
        "c_ticket": [c.ticket_id for c in comments],
        "c_author": [c.author_id for c in comments],
        "c_author_name": [c.author_name for c in comments],
        "c_body": [c.body for c in comments],
        "c_at": [c.created_at for c in comments],
        "o_id": [o["id"] for o in outbox],
        "o_aggregate": [o["aggregate_id"] for o in outbox],
        "o_version": [o["aggregate_version"] for o in outbox],
        "o_type": [o["event_type"] for o in outbox],
        "o_payload": [json.dumps(o["payload"]) for o in outbox],
        "o_metadata": [json.dumps(o["metadata"]) for o in outbox],
        "o_at": [o["occurred_at"] for o in outbox],
        "i_scope": key.get("scope"),
        "i_key": key.get("key"),
        "i_fingerprint": key.get("fingerprint"),
        "i_response": json.dumps(key["response"]) if idempotency else None,
    }
