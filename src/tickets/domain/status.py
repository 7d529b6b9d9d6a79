"""Ticket statuses and the actions that move a ticket between them; the transition
table itself is ``tickets.domain.ticket.TRANSITIONS``."""

from enum import StrEnum


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


EDITABLE: frozenset[TicketStatus] = frozenset({TicketStatus.DRAFT})
