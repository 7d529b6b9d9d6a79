"""Ticket statuses and the one transition table that governs them."""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from tickets.domain.errors import InvalidTransition


class TicketStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    REOPEN = "reopen"


TRANSITIONS: Mapping[tuple[TicketStatus, Action], TicketStatus] = MappingProxyType(
    {
        (TicketStatus.DRAFT, Action.SUBMIT): TicketStatus.SUBMITTED,
        (TicketStatus.SUBMITTED, Action.APPROVE): TicketStatus.APPROVED,
        (TicketStatus.SUBMITTED, Action.REJECT): TicketStatus.REJECTED,
        (TicketStatus.REJECTED, Action.REOPEN): TicketStatus.DRAFT,
    }
)

EDITABLE: frozenset[TicketStatus] = frozenset({TicketStatus.DRAFT})


def next_status(current: TicketStatus, action: Action) -> TicketStatus:
    """The status ``action`` leads to from ``current``; InvalidTransition if none."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise InvalidTransition(f"cannot {action} a ticket that is {current}") from None
