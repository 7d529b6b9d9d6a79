"""Which status each status-changing event moves a ticket from and to, read off the
domain's transition table, so the projections repeat no status names."""

from collections.abc import Mapping
from types import MappingProxyType

from tickets.domain.events import DomainEvent
from tickets.domain.status import TicketStatus
from tickets.domain.ticket import INITIAL_STATUS, TRANSITIONS

INITIAL = INITIAL_STATUS
"""A created ticket's status."""

MOVES: Mapping[type[DomainEvent], tuple[TicketStatus, TicketStatus]] = MappingProxyType(
    {event: (move.source, move.target) for event, move in TRANSITIONS.items()}
)
"""(from, to) of each status-changing event."""
