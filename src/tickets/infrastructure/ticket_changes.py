"""What a unit of work hands to command_writes at commit, and those values as the
columns the write statements take."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tickets.domain.events import DomainEvent
from tickets.domain.ticket import Comment, Ticket


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


def new_ticket_values(t: Ticket) -> tuple[Any, ...]:
    """A new ticket's columns: id, title, description, author_id, author_name, status,
    version, created_at, updated_at."""
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


def changed_ticket_values(change: TicketChange) -> tuple[Any, ...]:
    """A changed ticket's columns: id, the version loaded, then title, description,
    status, version, updated_at."""
    t = change.ticket
    return (
        t.id,
        change.loaded_version,
        t.title,
        t.description,
        t.status.value,
        t.version,
        t.updated_at,
    )


def comment_values(c: Comment) -> tuple[Any, ...]:
    """id, ticket_id, author_id, author_name, body, created_at."""
    return c.id, c.ticket_id, c.author_id, c.author_name, c.body, c.created_at


def record_values(record: IdempotencyRecord | None) -> tuple[str | None, ...]:
    """scope, key, fingerprint, response (JSON text); four NULLs without a record."""
    if record is None:
        return None, None, None, None
    return record.scope, record.key, record.fingerprint, json.dumps(record.response)
