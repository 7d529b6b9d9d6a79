"""The projections' status moves are the domain's transition table, event by event."""

from tickets.domain.events import TicketApproved, TicketRejected, TicketReopened, TicketSubmitted
from tickets.domain.status import TicketStatus as S
from tickets.domain.ticket import INITIAL_STATUS, TRANSITIONS
from tickets.readmodel.moves import INITIAL, MOVES


def test_every_transition_has_the_same_move() -> None:
    assert MOVES.keys() == TRANSITIONS.keys()
    for event, (old, new) in MOVES.items():
        assert (TRANSITIONS[event].source, TRANSITIONS[event].target) == (old, new)
    assert INITIAL is INITIAL_STATUS


def test_the_moves_as_the_read_model_applies_them() -> None:
    assert dict(MOVES) == {
        TicketSubmitted: (S.DRAFT, S.SUBMITTED),
        TicketApproved: (S.SUBMITTED, S.APPROVED),
        TicketRejected: (S.SUBMITTED, S.REJECTED),
        TicketReopened: (S.REJECTED, S.DRAFT),
    }
    assert INITIAL is S.DRAFT
