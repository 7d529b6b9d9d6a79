"""The public integration schema: what other services receive for each domain event.

Internal events may change shape freely; this module is the one mapping from them to
the published contract, documented in docs/asyncapi.yaml (a test checks the two agree).
A body is built field by field here, never by dumping the internal payload, so an
internal rename cannot leak out by accident.

Every body has the same envelope (event id and type, ticket id and version, time,
actor) and a ``data`` object specific to the event type. The routing key is the
versioned integration event type, e.g. ``ticket.approved.v1``.

What a body may carry (argued in docs/integration-events.md): identifiers, the event
type (which is the status change), actors, versions, times and closed codes. Free
text a user wrote (a title, a description, a comment body, a rejection reason) never
leaves: every queue bound to the exchange receives every message, with no check of
who may see the ticket, while over HTTP only its author, approvers and admins may.
A consumer that needs the text reads it over HTTP with credentials of its own
(``GET /tickets/{id}?min_version=N``), where those rules apply.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

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

SCHEMA_SOURCE = "tickets"


@dataclass(frozen=True, slots=True)
class IntegrationMessage:
    """One message to publish: routing key, AMQP properties and the JSON body."""

    routing_key: str
    message_id: str
    correlation_id: str | None
    timestamp: datetime
    headers: dict[str, Any]
    body: bytes


DataMapper = Callable[[Any], dict[str, Any]]


def _no_data(_event: DomainEvent) -> dict[str, Any]:
    return {}


def _rejected(event: TicketRejected) -> dict[str, Any]:
    # The code is a closed set (budget, duplicate, ...) that cannot carry what someone
    # wrote; the free-text reason stays behind HTTP's visibility rules.
    return {"reason_code": event.reason_code.value}


def _comment(event: CommentAdded) -> dict[str, Any]:
    return {"comment_id": str(event.comment_id)}


# Internal event class -> the integration event types it is published as, each with
# its ``data`` mapper. Several entries for one class publish an old version next to
# its successor during a deprecation window (policy: docs/integration-events.md);
# they share the message_id, so a consumer bound to both handles the event once.
# Every event is published, drafts' too (as identifiers only), so a ticket's versions
# reach consumers without gaps.
PUBLISHED: dict[type[DomainEvent], tuple[tuple[str, DataMapper], ...]] = {
    TicketCreated: (("ticket.created.v2", _no_data),),
    TicketEdited: (("ticket.edited.v2", _no_data),),
    TicketSubmitted: (("ticket.submitted.v1", _no_data),),
    TicketApproved: (("ticket.approved.v1", _no_data),),
    TicketRejected: (("ticket.rejected.v3", _rejected),),
    TicketReopened: (("ticket.reopened.v1", _no_data),),
    CommentAdded: (("comment.added.v2", _comment),),
}


def published_types() -> list[str]:
    """Every integration event type (routing key) the service can publish."""
    return sorted(key for mappers in PUBLISHED.values() for key, _ in mappers)


# One encoder for every body: json.dumps with options builds a new one per call.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


def body_of(
    event_type: str, event_id: str, ticket_id: str, event: DomainEvent, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "source": SCHEMA_SOURCE,
        "ticket_id": ticket_id,
        "ticket_version": event.version,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": {"id": str(event.actor_id), "name": event.actor_name},
        "data": data,
    }


def integration_messages(
    message_id: UUID, correlation_id: str | None, event: DomainEvent
) -> list[IntegrationMessage]:
    """The messages one committed event is published as (KeyError: not mapped)."""
    event_id, ticket_id = str(message_id), str(event.ticket_id)
    messages = []
    for event_type, mapper in PUBLISHED[type(event)]:
        body = body_of(event_type, event_id, ticket_id, event, mapper(event))
        messages.append(
            IntegrationMessage(
                routing_key=event_type,
                message_id=event_id,
                correlation_id=correlation_id,
                timestamp=event.occurred_at,
                headers={
                    "ticket_id": ticket_id,
                    "ticket_version": event.version,
                    "correlation_id": correlation_id or "",
                    "event_type": event_type,
                },
                body=_COMPACT_JSON.encode(body).encode(),
            )
        )
    return messages
