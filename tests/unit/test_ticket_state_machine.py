"""A Hypothesis state machine: random actors and actions against one Ticket and a model.

Each rule predicts, from a tiny model (status, title, description), either success with
one specific event (or none for a no-op edit) or one specific domain error, and checks
that a refused action leaves the ticket untouched.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.unit.builders import T0, admin, approver, requester, user
from tickets.domain.errors import (
    CommentBodyRequired,
    DomainError,
    InvalidCharacter,
    InvalidTransition,
    PermissionDenied,
    ReasonRequired,
    SelfDecision,
    TicketNotEditable,
    TitleRequired,
    ValueTooLong,
)
from tickets.domain.events import (
    CommentAdded,
    DomainEvent,
    TicketApproved,
    TicketCreated,
    TicketEdited,
    TicketRejected,
    TicketReopened,
    TicketSubmitted,
)
from tickets.domain.limits import COMMENT_MAX, DESCRIPTION_MAX, REASON_MAX, TITLE_MAX
from tickets.domain.status import TicketStatus
from tickets.domain.ticket import TRANSITIONS, Ticket
from tickets.domain.users import Role, User

S = TicketStatus


def _reachable() -> frozenset[TicketStatus]:
    seen, frontier = {S.DRAFT}, [S.DRAFT]
    while frontier:
        current = frontier.pop()
        for _, source, target in TRANSITIONS.values():
            if source is current and target not in seen:
                seen.add(target)
                frontier.append(target)
    return frozenset(seen)


REACHABLE = _reachable()

ACTORS = st.sampled_from(["author", "other", "approver", "admin"])


def actors(usual: str) -> st.SearchStrategy[str]:
    """Any actor, but the one who usually may do it half of the time (to get further)."""
    return st.one_of(st.just(usual), ACTORS)


BLANKS = st.sampled_from(["", " ", "  \t", "\n", "\u3000"])
NO_NUL = st.characters(exclude_characters="\x00")
CLEAN = st.text(NO_NUL, max_size=12)
NAMED = st.text(NO_NUL, min_size=1, max_size=12).filter(str.strip)
SHORT = st.one_of(CLEAN, st.text(max_size=12), st.just("a\x00b"))
TEXT = st.one_of(SHORT, BLANKS)
TITLES = st.one_of(TEXT, st.just("t" * (TITLE_MAX + 1)))
REASONS = st.one_of(TEXT, st.just("r" * (REASON_MAX + 1)))
BODIES = st.one_of(TEXT, st.just("c" * (COMMENT_MAX + 1)))


def text_error(value: str, maximum: int) -> type[DomainError] | None:
    """What the domain's length and character checks say about (already stripped) text."""
    if len(value) > maximum:
        return ValueTooLong
    if "\x00" in value:
        return InvalidCharacter
    return None


def required_text_error(
    value: str, maximum: int, blank: type[DomainError]
) -> type[DomainError] | None:
    return blank if not value.strip() else text_error(value.strip(), maximum)


Outcome = type[DomainError] | type[DomainEvent] | None


class TicketMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[DomainEvent] = []
        self.ever_approved = False
        self.clock = T0

    # --- setup and helpers ----------------------------------------------------------------

    @initialize(
        author_approves=st.booleans(), title=st.one_of(NAMED, CLEAN, BLANKS), description=CLEAN
    )
    def create(self, author_approves: bool, title: str, description: str) -> None:
        roles = (Role.REQUESTER, Role.APPROVER) if author_approves else (Role.REQUESTER,)
        self.actors: dict[str, User] = {
            "author": user("alice", *roles),
            "other": requester("bob"),
            "approver": approver("carol"),
            "admin": admin("dave"),
        }
        self.ticket = Ticket.create(uuid4(), self.actors["author"], title, description, T0)
        self.status = S.DRAFT
        self.title = title.strip()
        self.description = description
        self.collect(TicketCreated, "author")

    def now(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def is_approver(self, who: str) -> bool:
        return self.actors[who].has_role(Role.APPROVER)

    def decision_error(self, who: str) -> type[DomainError] | None:
        if not self.is_approver(who):
            return PermissionDenied
        if who == "author":
            return SelfDecision
        if self.status is not S.SUBMITTED:
            return InvalidTransition
        return None

    def attempt(self, expected: Outcome, who: str, action: Callable[[], object]) -> bool:
        """Run ``action`` expecting an event type, no event (None) or an error type."""
        if isinstance(expected, type) and issubclass(expected, DomainError):
            before = (self.ticket.version, self.ticket.status, self.ticket.title)
            comments = len(self.ticket.new_comments)
            with pytest.raises(expected) as raised:
                action()
            assert type(raised.value) is expected
            assert (self.ticket.version, self.ticket.status, self.ticket.title) == before
            assert len(self.ticket.new_comments) == comments
            assert self.ticket.pending_events == []
            return False
        action()
        self.collect(expected, who)
        return True

    def collect(self, expected: type[DomainEvent] | None, who: str) -> None:
        new = self.ticket.pull_events()
        if expected is None:
            assert new == []
            return
        assert [type(e) for e in new] == [expected]
        [event] = new
        actor = self.actors[who]
        assert (event.actor_id, event.actor_name) == (actor.id, actor.name)
        assert event.ticket_id == self.ticket.id
        assert event.occurred_at == self.ticket.updated_at
        self.events.append(event)

    # --- rules ----------------------------------------------------------------------------

    @rule(who=actors("author"), title=st.one_of(st.none(), TITLES), description=st.none() | SHORT)
    def edit(self, who: str, title: str | None, description: str | None) -> None:
        new_title = self.title if title is None else title.strip()
        new_description = self.description if description is None else description
        expected: Outcome
        if who != "author":
            expected = PermissionDenied
        elif self.status is not S.DRAFT:
            expected = TicketNotEditable
        elif error := text_error(new_title, TITLE_MAX) or text_error(
            new_description, DESCRIPTION_MAX
        ):
            expected = error
        elif (new_title, new_description) == (self.title, self.description):
            expected = None
        else:
            expected = TicketEdited
        author = self.actors[who]
        if self.attempt(
            expected, who, lambda: self.ticket.edit(author, title, description, self.now())
        ):
            self.title, self.description = new_title, new_description
        assert (self.ticket.title, self.ticket.description) == (self.title, self.description)

    @rule(who=actors("author"))
    def submit(self, who: str) -> None:
        expected: Outcome
        if who != "author":
            expected = PermissionDenied
        elif self.status is not S.DRAFT:
            expected = InvalidTransition
        elif not self.title:
            expected = TitleRequired
        else:
            expected = TicketSubmitted
        if self.attempt(expected, who, lambda: self.ticket.submit(self.actors[who], self.now())):
            self.status = S.SUBMITTED

    @rule(who=actors("approver"))
    def approve(self, who: str) -> None:
        expected: Outcome = self.decision_error(who) or TicketApproved
        if self.attempt(expected, who, lambda: self.ticket.approve(self.actors[who], self.now())):
            self.status = S.APPROVED
            self.ever_approved = True

    @rule(who=actors("approver"), reason=REASONS)
    def reject(self, who: str, reason: str) -> None:
        expected: Outcome = self.decision_error(who)
        if expected is None:
            expected = required_text_error(reason, REASON_MAX, ReasonRequired) or TicketRejected
        actor = self.actors[who]
        if self.attempt(expected, who, lambda: self.ticket.reject(actor, reason, self.now())):
            self.status = S.REJECTED
            event = self.events[-1]
            assert isinstance(event, TicketRejected)
            assert event.reason == reason.strip()

    @rule(who=actors("author"))
    def reopen(self, who: str) -> None:
        expected: Outcome
        if who != "author":
            expected = PermissionDenied
        elif self.status is not S.REJECTED:
            expected = InvalidTransition
        else:
            expected = TicketReopened
        if self.attempt(expected, who, lambda: self.ticket.reopen(self.actors[who], self.now())):
            self.status = S.DRAFT

    @rule(who=ACTORS, body=BODIES)
    def comment(self, who: str, body: str) -> None:
        expected: Outcome
        if who == "other":
            expected = PermissionDenied
        else:
            expected = required_text_error(body, COMMENT_MAX, CommentBodyRequired) or CommentAdded
        comment_id = uuid4()
        actor = self.actors[who]
        action = lambda: self.ticket.add_comment(actor, comment_id, body, self.now())  # noqa: E731
        if self.attempt(expected, who, action):
            assert self.ticket.new_comments[-1].id == comment_id
            assert self.ticket.new_comments[-1].body == body.strip()

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def version_counts_events(self) -> None:
        assert self.ticket.version == len(self.events)

    @invariant()
    def event_versions_are_consecutive_from_one(self) -> None:
        assert [e.version for e in self.events] == list(range(1, len(self.events) + 1))

    @invariant()
    def status_matches_the_model_and_is_reachable(self) -> None:
        assert self.ticket.status is self.status
        assert self.ticket.status in REACHABLE

    @invariant()
    def approved_is_final(self) -> None:
        if self.ever_approved:
            assert self.ticket.status is S.APPROVED

    @invariant()
    def comments_match_comment_events(self) -> None:
        added = [e.comment_id for e in self.events if isinstance(e, CommentAdded)]
        assert [c.id for c in self.ticket.new_comments] == added


TicketMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestTicketStateMachine = TicketMachine.TestCase


def test_every_status_is_reachable() -> None:
    assert frozenset(TicketStatus) == REACHABLE
