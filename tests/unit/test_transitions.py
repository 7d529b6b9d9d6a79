"""The transition table: every (status, status-changing event) pair, legal and illegal."""

import itertools

import pytest

from tickets.domain.errors import InvalidTransition, RuleViolation
from tickets.domain.events import (
    StatusChanged,
    TicketApproved,
    TicketRejected,
    TicketReopened,
    TicketSubmitted,
)
from tickets.domain.status import Action, TicketStatus
from tickets.domain.ticket import TRANSITIONS, Transition, check_transition

S, A = TicketStatus, Action

# Written out by hand from the spec, independently of TRANSITIONS.
LEGAL: dict[type[StatusChanged], Transition] = {
    TicketSubmitted: Transition(A.SUBMIT, S.DRAFT, S.SUBMITTED),
    TicketApproved: Transition(A.APPROVE, S.SUBMITTED, S.APPROVED),
    TicketRejected: Transition(A.REJECT, S.SUBMITTED, S.REJECTED),
    TicketReopened: Transition(A.REOPEN, S.REJECTED, S.DRAFT),
}

ALL_PAIRS = list(itertools.product(TicketStatus, LEGAL))


def test_there_are_four_statuses_and_four_moves() -> None:
    assert len(ALL_PAIRS) == 16


@pytest.mark.parametrize(("status", "event"), ALL_PAIRS, ids=lambda v: getattr(v, "__name__", v))
def test_every_pair(status: TicketStatus, event: type[StatusChanged]) -> None:
    legal = LEGAL[event]
    if status is legal.source:
        assert check_transition(status, event) == legal
    else:
        with pytest.raises(InvalidTransition) as raised:
            check_transition(status, event)
        assert raised.value.code == "ticket.invalid_transition"
        assert isinstance(raised.value, RuleViolation)
        assert str(legal.action) in str(raised.value)
        assert str(status) in str(raised.value)


def test_table_holds_exactly_the_legal_moves() -> None:
    assert dict(TRANSITIONS) == LEGAL


def test_each_action_is_one_move() -> None:
    assert sorted(move.action for move in TRANSITIONS.values()) == sorted(Action)


def test_approved_is_final() -> None:
    assert not [move for move in TRANSITIONS.values() if move.source is S.APPROVED]


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS[TicketReopened] = LEGAL[TicketSubmitted]  # type: ignore[index]
