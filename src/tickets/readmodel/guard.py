"""The per-ticket version guard every projection applies.

A projection's row for a ticket carries the version of the last event applied to it.
Event N is applied only to version N-1 (an UPDATE … WHERE version = N-1). If no row
matched, either N was applied already (skip: a redelivery) or N-1 has not arrived yet
(OutOfOrder: the delivery fails and is retried later, never applied out of order).
"""

from uuid import UUID

from tickets.domain.events import DomainEvent
from tickets.readmodel.connection import Connection


class OutOfOrder(Exception):
    """An event arrived before the one it follows; it must be retried, not applied."""


async def check_not_applied(
    connection: Connection, table: str, events: list[DomainEvent], applied: set[UUID]
) -> None:
    """For a set-based write: the events whose ticket it did not touch must have been
    applied before; if any one's predecessor is missing, raise OutOfOrder (the whole
    transaction rolls back and the delivery is retried)."""
    missing = [e for e in events if e.ticket_id not in applied]
    if not missing:
        return
    rows = await connection.fetch(
        f"SELECT ticket_id, version FROM {table} WHERE ticket_id = ANY($1::uuid[])",
        [e.ticket_id for e in missing],
    )
    current = {r["ticket_id"]: r["version"] for r in rows}
    for event in missing:
        seen = current.get(event.ticket_id)
        if seen is None or seen < event.version:
            raise OutOfOrder(
                f"{table}: ticket {event.ticket_id} is at version {seen}, "
                f"cannot apply version {event.version} ({event.event_type})"
            )
