"""Which status each status-changing event moves a ticket from and to, read off the
domain's transition table, so the projections repeat no status names."""

from collections.abc import Mapping
from types import MappingProxyType

from tickets.domain.events import (
    DomainEvent,
    TicketApproved,
    TicketRejected,
    TicketReopened,
    TicketSubmitted,
)
from tickets.domain.status import TRANSITIONS, Action, TicketStatus

INITIAL = TicketStatus.DRAFT
"""A created ticket's status."""
ACTION_OF: Mapping[type[DomainEvent], Action] = MappingProxyType(
    {
        TicketSubmitted: Action.SUBMIT,
        TicketApproved: Action.APPROVE,
        TicketRejected: Action.REJECT,
        TicketReopened: Action.REOPEN,
    }
)


def _move(action: Action) -> tuple[TicketStatus, TicketStatus]:
    [move] = [(old, new) for (old, act), new in TRANSITIONS.items() if act is action]
    return move


MOVES: Mapping[type[DomainEvent], tuple[TicketStatus, TicketStatus]] = MappingProxyType(
    {event: _move(action) for event, action in ACTION_OF.items()}
)
"""(from, to) of each status-changing event."""
