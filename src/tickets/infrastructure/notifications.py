"""A side-effect handler: tell a ticket's author that their ticket was decided."""

from collections.abc import Sequence
from uuid import NAMESPACE_URL, UUID, uuid5

from tickets.domain.events import DomainEvent, TicketApproved, TicketRejected
from tickets.infrastructure.outbox.subscriptions import Connection

INSERT = """
INSERT INTO tickets.notifications (id, user_id, ticket_id, kind, text, created_at)
SELECT n.id, t.author_id, t.id, n.kind, n.text, n.at
  FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
       AS n(id, ticket_id, kind, text, at)
  JOIN tickets.tickets t ON t.id = n.ticket_id
ON CONFLICT (id) DO NOTHING
"""


def notification_id(event: DomainEvent) -> UUID:
    """One notification per (ticket, version), whatever the delivery count."""
    return uuid5(NAMESPACE_URL, f"tickets:{event.ticket_id}:{event.version}")


class DecisionNotifier:
    name = "notifications"
    event_types = frozenset({TicketApproved.event_type, TicketRejected.event_type})

    async def apply_batch(self, connection: Connection, events: Sequence[DomainEvent]) -> None:
        kinds, texts = [], []
        for event in events:
            if isinstance(event, TicketRejected):
                kinds.append("rejected")
                texts.append(f"{event.actor_name} rejected your ticket: {event.reason}")
            else:
                kinds.append("approved")
                texts.append(f"{event.actor_name} approved your ticket")
        await connection.execute(
            INSERT,
            [notification_id(e) for e in events],
            [e.ticket_id for e in events],
            kinds,
            texts,
            [e.occurred_at for e in events],
        )
