"""Domain events raised by the Ticket aggregate.

Every event names the ticket, the version it produces, the actor and the time.
``event_type`` is the versioned name stored in the outbox and event log; an event's
fields are its stored payload, so a stored event type never changes shape. A new
version of an event gets a new ``event_type`` (``….v2``) and replaces the old one
here: rows of the old version are upcast when the log is read (see
infrastructure/upcasting.py), so the domain only knows current versions. A new kind
of event is a new class, added to ``TicketEvent`` (mypy then points at every
``match`` that must handle it).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, get_args
from uuid import UUID

from tickets.domain.rejection import RejectionCode


@dataclass(frozen=True, kw_only=True, slots=True)
class DomainEvent:
    event_type: ClassVar[str]
    """Set by each concrete event; the base has none, so no row can carry it."""

    ticket_id: UUID
    version: int
    actor_id: UUID
    actor_name: str
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class StatusChanged(DomainEvent):
    """An event that moves the ticket along the transition table
    (``tickets.domain.ticket.TRANSITIONS`` says from which status to which)."""


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
class TicketSubmitted(StatusChanged):
    event_type: ClassVar[str] = "ticket.submitted.v1"


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketApproved(StatusChanged):
    event_type: ClassVar[str] = "ticket.approved.v1"


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketRejected(StatusChanged):
    # v2 added reason_code; v1 rows in the log are upcast on read (infrastructure/upcasting).
    event_type: ClassVar[str] = "ticket.rejected.v2"

    reason: str
    reason_code: RejectionCode = RejectionCode.UNSPECIFIED


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketReopened(StatusChanged):
    event_type: ClassVar[str] = "ticket.reopened.v1"


@dataclass(frozen=True, kw_only=True, slots=True)
class CommentAdded(DomainEvent):
    event_type: ClassVar[str] = "comment.added.v1"

    comment_id: UUID
    body: str


TicketEvent = (
    TicketCreated
    | TicketEdited
    | TicketSubmitted
    | TicketApproved
    | TicketRejected
    | TicketReopened
    | CommentAdded
)
"""Every event the Ticket aggregate raises and applies."""

EVENT_TYPES: dict[str, type[DomainEvent]] = {cls.event_type: cls for cls in get_args(TicketEvent)}
