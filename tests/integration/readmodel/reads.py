"""Raw reads of the `read` schema and synthetic event streams for read-model tests."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

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

LIST = """SELECT ticket_id, title, status, author_id, author_name, comment_count,
                 created_at, updated_at, version
            FROM read.ticket_list WHERE ticket_id = $1"""
DETAILS = "SELECT * FROM read.ticket_details WHERE ticket_id = $1"


async def list_row(pool: asyncpg.Pool, ticket_id: uuid.UUID) -> dict[str, Any] | None:
    row = await pool.fetchrow(LIST, ticket_id)
    return None if row is None else dict(row)


async def details_row(pool: asyncpg.Pool, ticket_id: uuid.UUID) -> dict[str, Any] | None:
    row = await pool.fetchrow(DETAILS, ticket_id)
    return None if row is None else dict(row)


async def counts(pool: asyncpg.Pool, author_id: uuid.UUID) -> dict[str, int]:
    """The author's non-zero status counts; a negative count fails the test."""
    rows = await pool.fetch(
        "SELECT status, count FROM read.status_counts WHERE author_id = $1", author_id
    )
    assert all(r["count"] >= 0 for r in rows), [dict(r) for r in rows]
    return {r["status"]: r["count"] for r in rows if r["count"]}


def history(details: dict[str, Any]) -> list[tuple[str, int, str, str, datetime]]:
    """The history as (event_type, version, actor id, actor name, at) tuples."""
    return [
        (
            h["event_type"],
            h["version"],
            h["actor"]["id"],
            h["actor"]["name"],
            datetime.fromisoformat(h["at"]),
        )
        for h in details["history"]
    ]


def lifecycle(
    ticket_id: uuid.UUID, author: uuid.UUID, approver: uuid.UUID, start: datetime | None = None
) -> list[DomainEvent]:
    """Versions 1..9 of one ticket, every event type at least once: created, edited,
    commented, submitted, rejected, reopened, commented, submitted, approved."""
    t0 = start or datetime.now(UTC)
    who = {"author": (author, "author-name"), "approver": (approver, "approver-name")}
    steps: list[tuple[type[DomainEvent], str, dict[str, Any]]] = [
        (TicketCreated, "author", {"title": "Broken chair", "description": "Wobbles."}),
        (TicketEdited, "author", {"title": "Broken office chair", "description": "Wobbles."}),
        (CommentAdded, "author", {"comment_id": uuid.uuid4(), "body": "Since Monday."}),
        (TicketSubmitted, "author", {}),
        (TicketRejected, "approver", {"reason": "Use the spare one."}),
        (TicketReopened, "author", {}),
        (CommentAdded, "approver", {"comment_id": uuid.uuid4(), "body": "Resubmit it."}),
        (TicketSubmitted, "author", {}),
        (TicketApproved, "approver", {}),
    ]
    events = []
    for version, (cls, role, fields) in enumerate(steps, start=1):
        actor_id, actor_name = who[role]
        events.append(
            cls(
                ticket_id=ticket_id,
                version=version,
                actor_id=actor_id,
                actor_name=actor_name,
                occurred_at=t0 + timedelta(seconds=version),
                **fields,
            )
        )
    return events
