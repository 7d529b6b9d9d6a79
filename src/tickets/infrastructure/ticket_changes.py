"""What a unit of work hands to the writes at commit (command_writes, batch_writes)."""

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
