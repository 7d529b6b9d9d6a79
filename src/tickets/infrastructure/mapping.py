"""Imperative SQLAlchemy mapping of the domain classes, so the domain stays plain Python."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import registry, relationship

from tickets.domain.ticket import Comment, Ticket
from tickets.infrastructure import tables

mapper_registry = registry(metadata=tables.metadata)
_mapped = False


def start_mappers() -> None:
    """Map Ticket and Comment once per process (calling again is a no-op)."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(Comment, tables.comments)
    mapper_registry.map_imperatively(
        Ticket,
        tables.tickets,
        properties={
            # Loaded explicitly (selectinload) by the repository; never lazily in async code.
            "comments": relationship(Comment, lazy="raise", order_by=tables.comments.c.created_at),
        },
        # Optimistic concurrency: the domain sets the new version; the UPDATE carries
        # "WHERE version = <loaded version>", so a concurrent writer makes it match no row.
        version_id_col=tables.tickets.c.version,
        version_id_generator=False,
    )
    event.listen(Ticket, "load", _init_transient_state)
    _mapped = True


def _init_transient_state(ticket: Ticket, _context: Any) -> None:
    """The ORM does not call __init__; give loaded tickets an empty event list."""
    ticket.pending_events = []
