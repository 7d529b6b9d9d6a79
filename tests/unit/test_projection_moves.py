"""The projections' status moves are the domain's transition table, event by event."""

from tickets.domain.events import TicketApproved, TicketRejected, TicketReopened, TicketSubmitted
from tickets.domain.status import TRANSITIONS, Action
from tickets.domain.status import TicketStatus as S
from tickets.readmodel.moves import ACTION_OF, MOVES


def test_every_transition_has_one_event_and_the_same_move() -> None:
    assert sorted(ACTION_OF.values()) == sorted(action for _, action in TRANSITIONS)
    for event, (old, new) in MOVES.items():
        assert TRANSITIONS[(old, ACTION_OF[event])] == new


def test_the_moves_as_the_read_model_applies_them() -> None:
    assert dict(MOVES) == {
        TicketSubmitted: (S.DRAFT, S.SUBMITTED),
        TicketApproved: (S.SUBMITTED, S.APPROVED),
        TicketRejected: (S.SUBMITTED, S.REJECTED),
        TicketReopened: (S.REJECTED, S.DRAFT),
    }
    assert ACTION_OF[TicketReopened] is Action.REOPEN
