"""The transition table: every (status, action) pair, legal and illegal."""

import itertools

import pytest

from tickets.domain.errors import InvalidTransition, RuleViolation
from tickets.domain.status import TRANSITIONS, Action, TicketStatus, next_status

S, A = TicketStatus, Action

# Written out by hand from the spec, independently of TRANSITIONS.
LEGAL: dict[tuple[TicketStatus, Action], TicketStatus] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.APPROVE): S.APPROVED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.REJECTED, A.REOPEN): S.DRAFT,
}

ALL_PAIRS = list(itertools.product(TicketStatus, Action))


def test_there_are_four_statuses_and_four_actions() -> None:
    assert len(ALL_PAIRS) == 16


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=lambda v: str(v))
def test_every_pair(status: TicketStatus, action: Action) -> None:
    if (status, action) in LEGAL:
        assert next_status(status, action) is LEGAL[(status, action)]
    else:
        with pytest.raises(InvalidTransition) as raised:
            next_status(status, action)
        assert raised.value.code == "ticket.invalid_transition"
        assert isinstance(raised.value, RuleViolation)
        assert str(action) in str(raised.value)
        assert str(status) in str(raised.value)


def test_table_holds_exactly_the_legal_moves() -> None:
    assert dict(TRANSITIONS) == LEGAL


def test_approved_is_final() -> None:
    assert not [pair for pair in TRANSITIONS if pair[0] is S.APPROVED]


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS[(S.APPROVED, A.REOPEN)] = S.DRAFT  # type: ignore[index]
