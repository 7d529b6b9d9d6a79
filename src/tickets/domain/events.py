"""Domain events raised by the Ticket aggregate.

Every event names the ticket, the version it produces, the actor and the time.
``event_type`` is the versioned name stored in the outbox and event log.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID


@dataclass(frozen=True, kw_only=True, slots=True)
class DomainEvent:
    event_type: ClassVar[str] = "domain.event.v1"

    ticket_id: UUID
    version: int
    actor_id: UUID
    actor_name: str
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketCreated(DomainEvent):
    event_type: ClassVar[str] = "ticket.created.v1"

    title: str
    description: str


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketEdited(DomainEvent):
    event_type: ClassVar[str] = "ticket.edited.v1"

    title: str
    description: str


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketSubmitted(DomainEvent):
    event_type: ClassVar[str] = "ticket.submitted.v1"


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketApproved(DomainEvent):
    event_type: ClassVar[str] = "ticket.approved.v1"


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketRejected(DomainEvent):
    event_type: ClassVar[str] = "ticket.rejected.v1"

    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketReopened(DomainEvent):
    event_type: ClassVar[str] = "ticket.reopened.v1"


@dataclass(frozen=True, kw_only=True, slots=True)
class CommentAdded(DomainEvent):
    event_type: ClassVar[str] = "comment.added.v1"

    comment_id: UUID
    body: str


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.event_type: cls
    for cls in (
        TicketCreated,
        TicketEdited,
        TicketSubmitted,
        TicketApproved,
        TicketRejected,
        TicketReopened,
        CommentAdded,
    )
}
