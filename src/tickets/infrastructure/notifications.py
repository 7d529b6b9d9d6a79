"""A side-effect handler: tell a ticket's author that their ticket was decided."""

from uuid import NAMESPACE_URL, uuid5

from tickets.domain.events import DomainEvent, TicketApproved, TicketRejected
from tickets.infrastructure.outbox.handlers import Connection

INSERT = """
INSERT INTO tickets.notifications (id, user_id, ticket_id, kind, text, created_at)
SELECT $1, t.author_id, t.id, $2, $3, $4 FROM tickets.tickets t WHERE t.id = $5
ON CONFLICT (id) DO NOTHING
"""


class DecisionNotifier:
    name = "notifications"
    event_types = frozenset({TicketApproved.event_type, TicketRejected.event_type})

    async def apply(self, connection: Connection, event: DomainEvent) -> None:
        if isinstance(event, TicketRejected):
            kind, text = "rejected", f"{event.actor_name} rejected your ticket: {event.reason}"
        else:
            kind, text = "approved", f"{event.actor_name} approved your ticket"
        # One notification per (ticket, version), whatever the delivery count.
        notification_id = uuid5(NAMESPACE_URL, f"tickets:{event.ticket_id}:{event.version}")
        await connection.execute(
            INSERT, notification_id, kind, text, event.occurred_at, event.ticket_id
        )
