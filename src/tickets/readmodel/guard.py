"""The per-ticket version guard every projection applies.

A projection's row for a ticket carries the version of the last event applied to it.
Event N is applied only to version N-1 (an UPDATE … WHERE version = N-1). If no row
matched, either N was applied already (skip: a redelivery) or N-1 has not arrived yet
(OutOfOrder: the delivery fails and is retried later, never applied out of order).
"""

from typing import Any
from uuid import UUID

from tickets.domain.events import DomainEvent


class OutOfOrder(Exception):
    """An event arrived before the one it follows; it must be retried, not applied."""


async def apply_guarded(
    connection: Any, table: str, event: DomainEvent, sql: str, *args: object
) -> bool:
    """Run ``sql`` (guarded by ``version = $2 - 1``); True if applied, False if seen before."""
    status: str = await connection.execute(sql, event.ticket_id, event.version, *args)
    if not status.endswith(" 0"):
        return True
    await not_applied(connection, table, event)
    return False


async def not_applied(connection: Any, table: str, event: DomainEvent) -> None:
    """After a guarded write matched no row: return if the event was applied before,
    raise OutOfOrder if its predecessor is missing."""
    current = await current_version(connection, table, event.ticket_id)
    if current is not None and current >= event.version:
        return
    raise OutOfOrder(
        f"{table}: ticket {event.ticket_id} is at version {current}, "
        f"cannot apply version {event.version} ({event.event_type})"
    )


async def current_version(connection: Any, table: str, ticket_id: UUID) -> int | None:
    version: int | None = await connection.fetchval(
        f"SELECT version FROM {table} WHERE ticket_id = $1", ticket_id
    )
    return version
