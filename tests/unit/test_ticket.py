"""The Ticket aggregate: its rules, its events and every transition through its methods."""

from collections.abc import Callable
from uuid import uuid4

import pytest

from tests.unit.builders import (
    T0,
    admin,
    approved,
    approver,
    at,
    draft,
    rejected,
    requester,
    submitted,
    user,
)
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
    TicketApproved,
    TicketCreated,
    TicketEdited,
    TicketRejected,
    TicketReopened,
    TicketSubmitted,
)
from tickets.domain.limits import COMMENT_MAX, DESCRIPTION_MAX, REASON_MAX, TITLE_MAX
from tickets.domain.status import TicketStatus
from tickets.domain.ticket import Ticket
from tickets.domain.users import Role, User

AUTHOR = requester("alice")
OTHER = requester("bob")
APPROVER = approver("carol")
ADMIN = admin("dave")
APPROVING_AUTHOR = user("erin", Role.REQUESTER, Role.APPROVER)

S = TicketStatus


def snapshot(ticket: Ticket) -> tuple[object, ...]:
    return (
        ticket.title,
        ticket.description,
        ticket.status,
        ticket.version,
        ticket.updated_at,
        len(ticket.new_comments),
        len(ticket.pending_events),
    )


def refused(ticket: Ticket, error: type[DomainError], action: Callable[[], object]) -> DomainError:
    """Run ``action``; it must raise exactly ``error`` and leave the ticket untouched."""
    before = snapshot(ticket)
    with pytest.raises(error) as raised:
        action()
    assert type(raised.value) is error
    assert snapshot(ticket) == before
    return raised.value


def _submitted() -> Ticket:
    return submitted(AUTHOR)


# --- create -------------------------------------------------------------------------------


def test_create_records_ticket_created_at_version_1() -> None:
    ticket_id = uuid4()
    ticket = Ticket.create(ticket_id, AUTHOR, "  Laptop  ", "A new laptop", T0)
    assert ticket.status is S.DRAFT
    assert ticket.version == 1
    assert (ticket.title, ticket.description) == ("Laptop", "A new laptop")
    assert (ticket.author_id, ticket.author_name) == (AUTHOR.id, "alice")
    assert ticket.created_at == ticket.updated_at == T0
    assert ticket.pull_events() == [
        TicketCreated(
            ticket_id=ticket_id,
            version=1,
            actor_id=AUTHOR.id,
            actor_name="alice",
            occurred_at=T0,
            title="Laptop",
            description="A new laptop",
        )
    ]


def test_create_without_title_is_allowed_as_a_draft() -> None:
    ticket = Ticket.create(uuid4(), AUTHOR, "   ", "", T0)
    assert ticket.title == ""
    assert ticket.status is S.DRAFT


def test_create_title_limit() -> None:
    assert Ticket.create(uuid4(), AUTHOR, "t" * TITLE_MAX, "", T0).title == "t" * TITLE_MAX
    with pytest.raises(ValueTooLong) as raised:
        Ticket.create(uuid4(), AUTHOR, "t" * (TITLE_MAX + 1), "", T0)
    assert raised.value.field == "title"
    assert raised.value.code == "field.too_long"


def test_create_description_limit() -> None:
    ok = Ticket.create(uuid4(), AUTHOR, "t", "d" * DESCRIPTION_MAX, T0)
    assert len(ok.description) == DESCRIPTION_MAX
    with pytest.raises(ValueTooLong) as raised:
        Ticket.create(uuid4(), AUTHOR, "t", "d" * (DESCRIPTION_MAX + 1), T0)
    assert raised.value.field == "description"


def test_limits_match_the_spec() -> None:
    assert (TITLE_MAX, DESCRIPTION_MAX, COMMENT_MAX, REASON_MAX) == (200, 10_000, 5_000, 5_000)


# --- edit ---------------------------------------------------------------------------------


def test_author_edits_a_draft() -> None:
    ticket = draft(AUTHOR)
    ticket.edit(AUTHOR, " New title ", "New text", at(5))
    assert (ticket.title, ticket.description, ticket.version) == ("New title", "New text", 2)
    assert ticket.updated_at == at(5)
    [event] = ticket.pull_events()
    assert isinstance(event, TicketEdited)
    assert (event.title, event.description, event.version) == ("New title", "New text", 2)


def test_edit_only_the_title_keeps_the_description() -> None:
    ticket = draft(AUTHOR, description="keep me")
    ticket.edit(AUTHOR, "Other", None, at(5))
    [event] = ticket.pull_events()
    assert isinstance(event, TicketEdited)
    assert (event.title, event.description) == ("Other", "keep me")


def test_edit_only_the_description_keeps_the_title() -> None:
    ticket = draft(AUTHOR, title="keep me")
    ticket.edit(AUTHOR, None, "new", at(5))
    assert (ticket.title, ticket.description) == ("keep me", "new")
    assert ticket.version == 2


@pytest.mark.parametrize(
    ("title", "description"),
    [(None, None), ("Laptop", None), (None, "A new laptop"), (" Laptop ", "A new laptop")],
)
def test_edit_that_changes_nothing_records_no_event(
    title: str | None, description: str | None
) -> None:
    ticket = draft(AUTHOR, title="Laptop", description="A new laptop")
    ticket.edit(AUTHOR, title, description, at(5))
    assert ticket.version == 1
    assert ticket.updated_at == T0
    assert ticket.pull_events() == []


@pytest.mark.parametrize("actor", [OTHER, APPROVER, ADMIN], ids=["requester", "approver", "admin"])
def test_only_the_author_edits(actor: User) -> None:
    ticket = draft(AUTHOR)
    refused(ticket, PermissionDenied, lambda: ticket.edit(actor, "x", None, at(5)))


@pytest.mark.parametrize(
    "make",
    [
        _submitted,
        lambda: approved(AUTHOR, APPROVER),
        lambda: rejected(AUTHOR, APPROVER),
    ],
    ids=["submitted", "approved", "rejected"],
)
def test_edit_outside_draft_is_not_editable(make: Callable[[], Ticket]) -> None:
    ticket = make()
    error = refused(ticket, TicketNotEditable, lambda: ticket.edit(AUTHOR, "x", None, at(5)))
    assert error.code == "ticket.not_editable"


def test_edit_limits() -> None:
    ticket = draft(AUTHOR)
    refused(ticket, ValueTooLong, lambda: ticket.edit(AUTHOR, "t" * (TITLE_MAX + 1), None, at(5)))
    refused(
        ticket,
        ValueTooLong,
        lambda: ticket.edit(AUTHOR, None, "d" * (DESCRIPTION_MAX + 1), at(5)),
    )
    ticket.edit(AUTHOR, "t" * TITLE_MAX, "d" * DESCRIPTION_MAX, at(5))
    assert ticket.version == 2


# --- submit -------------------------------------------------------------------------------


def test_author_submits_a_titled_draft() -> None:
    ticket = draft(AUTHOR)
    ticket.submit(AUTHOR, at(3))
    assert (ticket.status, ticket.version, ticket.updated_at) == (S.SUBMITTED, 2, at(3))
    [event] = ticket.pull_events()
    assert type(event) is TicketSubmitted


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
def test_submit_needs_a_title(title: str) -> None:
    ticket = draft(AUTHOR, title=title)
    error = refused(ticket, TitleRequired, lambda: ticket.submit(AUTHOR, at(3)))
    assert error.code == "ticket.title_required"


def test_edited_blank_title_cannot_be_submitted_then_a_real_one_can() -> None:
    ticket = draft(AUTHOR)
    ticket.edit(AUTHOR, "   ", None, at(2))
    assert ticket.title == ""
    refused(ticket, TitleRequired, lambda: ticket.submit(AUTHOR, at(3)))
    ticket.edit(AUTHOR, "Now titled", None, at(4))
    ticket.submit(AUTHOR, at(5))
    assert ticket.status is S.SUBMITTED


@pytest.mark.parametrize(
    "actor", [OTHER, APPROVER, ADMIN, APPROVING_AUTHOR], ids=["req", "appr", "admin", "appr2"]
)
def test_only_the_author_submits(actor: User) -> None:
    ticket = draft(AUTHOR)
    refused(ticket, PermissionDenied, lambda: ticket.submit(actor, at(3)))


@pytest.mark.parametrize(
    "make",
    [_submitted, lambda: approved(AUTHOR, APPROVER), lambda: rejected(AUTHOR, APPROVER)],
    ids=["submitted", "approved", "rejected"],
)
def test_submit_outside_draft_is_an_invalid_transition(make: Callable[[], Ticket]) -> None:
    ticket = make()
    refused(ticket, InvalidTransition, lambda: ticket.submit(AUTHOR, at(3)))


# --- approve / reject ---------------------------------------------------------------------


def test_approver_approves_a_submitted_ticket() -> None:
    ticket = _submitted()
    ticket.approve(APPROVER, at(4))
    assert (ticket.status, ticket.version) == (S.APPROVED, 3)
    [event] = ticket.pull_events()
    assert type(event) is TicketApproved
    assert (event.actor_id, event.actor_name) == (APPROVER.id, "carol")


def test_approver_rejects_with_a_stripped_reason() -> None:
    ticket = _submitted()
    ticket.reject(APPROVER, "  too expensive  ", at(4))
    assert (ticket.status, ticket.version) == (S.REJECTED, 3)
    [event] = ticket.pull_events()
    assert isinstance(event, TicketRejected)
    assert event.reason == "too expensive"


def test_an_approver_with_another_role_too_may_decide() -> None:
    ticket = _submitted()
    ticket.approve(user("frank", Role.ADMIN, Role.APPROVER), at(4))
    assert ticket.status is S.APPROVED


DECISIONS: dict[str, Callable[[Ticket, User], None]] = {
    "approve": lambda t, u: t.approve(u, at(4)),
    "reject": lambda t, u: t.reject(u, "no", at(4)),
}


@pytest.mark.parametrize("decide", DECISIONS.values(), ids=DECISIONS.keys())
@pytest.mark.parametrize(
    "actor", [AUTHOR, OTHER, ADMIN], ids=["author", "requester", "admin-without-approver-role"]
)
def test_only_approvers_decide(decide: Callable[[Ticket, User], None], actor: User) -> None:
    ticket = _submitted()
    error = refused(ticket, PermissionDenied, lambda: decide(ticket, actor))
    assert error.code == "auth.forbidden"


@pytest.mark.parametrize("decide", DECISIONS.values(), ids=DECISIONS.keys())
def test_an_approver_cannot_decide_on_their_own_ticket(
    decide: Callable[[Ticket, User], None],
) -> None:
    ticket = draft(APPROVING_AUTHOR)
    ticket.submit(APPROVING_AUTHOR, at(1))
    ticket.pull_events()
    error = refused(ticket, SelfDecision, lambda: decide(ticket, APPROVING_AUTHOR))
    assert error.code == "ticket.self_decision"
    assert isinstance(error, PermissionDenied)


@pytest.mark.parametrize("decide", DECISIONS.values(), ids=DECISIONS.keys())
@pytest.mark.parametrize(
    "make",
    [
        lambda: draft(AUTHOR),
        lambda: approved(AUTHOR, APPROVER),
        lambda: rejected(AUTHOR, APPROVER),
    ],
    ids=["draft", "approved", "rejected"],
)
def test_decisions_only_while_submitted(
    decide: Callable[[Ticket, User], None], make: Callable[[], Ticket]
) -> None:
    ticket = make()
    refused(ticket, InvalidTransition, lambda: decide(ticket, APPROVER))


@pytest.mark.parametrize("reason", ["", " ", "\n\t "])
def test_reject_needs_a_reason(reason: str) -> None:
    ticket = _submitted()
    error = refused(ticket, ReasonRequired, lambda: ticket.reject(APPROVER, reason, at(4)))
    assert error.code == "ticket.reason_required"


def test_reject_reason_limit() -> None:
    ticket = _submitted()
    error = refused(
        ticket, ValueTooLong, lambda: ticket.reject(APPROVER, "r" * (REASON_MAX + 1), at(4))
    )
    assert error.code == "field.too_long"
    ticket.reject(APPROVER, "r" * REASON_MAX, at(4))
    assert ticket.status is S.REJECTED


# --- reopen -------------------------------------------------------------------------------


def test_author_reopens_a_rejected_ticket_and_submits_again() -> None:
    ticket = rejected(AUTHOR, APPROVER)
    ticket.reopen(AUTHOR, at(5))
    assert (ticket.status, ticket.version) == (S.DRAFT, 4)
    [event] = ticket.pull_events()
    assert type(event) is TicketReopened
    ticket.edit(AUTHOR, "Cheaper laptop", None, at(6))
    ticket.submit(AUTHOR, at(7))
    ticket.approve(APPROVER, at(8))
    assert (ticket.status, ticket.version) == (S.APPROVED, 7)


@pytest.mark.parametrize("actor", [OTHER, APPROVER, ADMIN], ids=["requester", "approver", "admin"])
def test_only_the_author_reopens(actor: User) -> None:
    ticket = rejected(AUTHOR, APPROVER)
    refused(ticket, PermissionDenied, lambda: ticket.reopen(actor, at(5)))


@pytest.mark.parametrize(
    "make",
    [lambda: draft(AUTHOR), _submitted, lambda: approved(AUTHOR, APPROVER)],
    ids=["draft", "submitted", "approved"],
)
def test_reopen_only_from_rejected(make: Callable[[], Ticket]) -> None:
    ticket = make()
    refused(ticket, InvalidTransition, lambda: ticket.reopen(AUTHOR, at(5)))


# --- approved is final --------------------------------------------------------------------


def test_approved_ticket_is_final() -> None:
    ticket = approved(AUTHOR, APPROVER)
    refused(ticket, TicketNotEditable, lambda: ticket.edit(AUTHOR, "x", None, at(5)))
    refused(ticket, InvalidTransition, lambda: ticket.submit(AUTHOR, at(5)))
    refused(ticket, InvalidTransition, lambda: ticket.approve(APPROVER, at(5)))
    refused(ticket, InvalidTransition, lambda: ticket.reject(APPROVER, "why", at(5)))
    refused(ticket, InvalidTransition, lambda: ticket.reopen(AUTHOR, at(5)))
    assert ticket.status is S.APPROVED


# --- comments -----------------------------------------------------------------------------


STATUS_MAKERS: dict[str, Callable[[], Ticket]] = {
    "draft": lambda: draft(AUTHOR),
    "submitted": _submitted,
    "approved": lambda: approved(AUTHOR, APPROVER),
    "rejected": lambda: rejected(AUTHOR, APPROVER),
}


@pytest.mark.parametrize("make", STATUS_MAKERS.values(), ids=STATUS_MAKERS.keys())
@pytest.mark.parametrize("actor", [AUTHOR, APPROVER, ADMIN], ids=["author", "approver", "admin"])
def test_comments_are_open_in_every_status(make: Callable[[], Ticket], actor: User) -> None:
    ticket = make()
    status, version = ticket.status, ticket.version
    comment_id = uuid4()
    comment = ticket.add_comment(actor, comment_id, "  Looks fine  ", at(9))
    assert (comment.id, comment.ticket_id, comment.body) == (comment_id, ticket.id, "Looks fine")
    assert (comment.author_id, comment.author_name, comment.created_at) == (
        actor.id,
        actor.name,
        at(9),
    )
    assert ticket.new_comments[-1] is comment
    assert (ticket.status, ticket.version) == (status, version + 1)
    [event] = ticket.pull_events()
    assert isinstance(event, CommentAdded)
    assert (event.comment_id, event.body, event.version) == (comment_id, "Looks fine", version + 1)


@pytest.mark.parametrize("make", STATUS_MAKERS.values(), ids=STATUS_MAKERS.keys())
def test_another_requester_cannot_comment(make: Callable[[], Ticket]) -> None:
    ticket = make()
    refused(ticket, PermissionDenied, lambda: ticket.add_comment(OTHER, uuid4(), "hi", at(9)))


@pytest.mark.parametrize("body", ["", "  ", "\n"])
def test_comment_body_required(body: str) -> None:
    ticket = draft(AUTHOR)
    error = refused(
        ticket, CommentBodyRequired, lambda: ticket.add_comment(AUTHOR, uuid4(), body, at(9))
    )
    assert error.code == "comment.body_required"


def test_comment_limit() -> None:
    ticket = draft(AUTHOR)
    refused(
        ticket,
        ValueTooLong,
        lambda: ticket.add_comment(AUTHOR, uuid4(), "c" * (COMMENT_MAX + 1), at(9)),
    )
    ticket.add_comment(AUTHOR, uuid4(), "c" * COMMENT_MAX, at(9))
    assert len(ticket.new_comments) == 1


# --- NUL characters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "description", "field"),
    [("a\x00b", "", "title"), ("ok", "x\x00", "description")],
    ids=["title", "description"],
)
def test_create_refuses_nul_characters(title: str, description: str, field: str) -> None:
    with pytest.raises(InvalidCharacter) as raised:
        Ticket.create(uuid4(), AUTHOR, title, description, T0)
    assert (raised.value.field, raised.value.code) == (field, "field.invalid_character")


def test_nul_characters_are_refused_everywhere_text_enters() -> None:
    ticket = draft(AUTHOR)
    refused(ticket, InvalidCharacter, lambda: ticket.edit(AUTHOR, "\x00", None, at(1)))
    refused(ticket, InvalidCharacter, lambda: ticket.edit(AUTHOR, None, "a\x00", at(1)))
    refused(ticket, InvalidCharacter, lambda: ticket.add_comment(AUTHOR, uuid4(), "\x00", at(1)))
    ticket.submit(AUTHOR, at(2))
    ticket.pull_events()
    refused(ticket, InvalidCharacter, lambda: ticket.reject(APPROVER, "no\x00", at(3)))


# --- events -------------------------------------------------------------------------------


def test_every_event_carries_ticket_version_actor_and_time() -> None:
    ticket_id = uuid4()
    steps: list[tuple[User, Callable[[Ticket, User], object]]] = [
        (AUTHOR, lambda t, u: t.edit(u, "Better", None, at(1))),
        (AUTHOR, lambda t, u: t.submit(u, at(2))),
        (APPROVER, lambda t, u: t.reject(u, "no", at(3))),
        (ADMIN, lambda t, u: t.add_comment(u, uuid4(), "note", at(4))),
        (AUTHOR, lambda t, u: t.reopen(u, at(5))),
        (AUTHOR, lambda t, u: t.submit(u, at(6))),
        (APPROVER, lambda t, u: t.approve(u, at(7))),
        (AUTHOR, lambda t, u: t.add_comment(u, uuid4(), "thanks", at(8))),
    ]
    ticket = Ticket.create(ticket_id, AUTHOR, "Laptop", "", at(0))
    expected_actors = [AUTHOR]
    for actor, step in steps:
        step(ticket, actor)
        expected_actors.append(actor)
    events = ticket.pull_events()
    assert [type(e) for e in events] == [
        TicketCreated,
        TicketEdited,
        TicketSubmitted,
        TicketRejected,
        CommentAdded,
        TicketReopened,
        TicketSubmitted,
        TicketApproved,
        CommentAdded,
    ]
    assert [e.version for e in events] == list(range(1, 10))
    assert all(e.ticket_id == ticket_id for e in events)
    assert [(e.actor_id, e.actor_name) for e in events] == [(u.id, u.name) for u in expected_actors]
    assert [e.occurred_at for e in events] == [at(i) for i in range(9)]
    assert ticket.version == 9
    assert ticket.updated_at == at(8)
    assert ticket.created_at == at(0)


def test_pull_events_hands_over_once() -> None:
    ticket = Ticket.create(uuid4(), AUTHOR, "Laptop", "", T0)
    ticket.submit(AUTHOR, at(1))
    assert [e.version for e in ticket.pull_events()] == [1, 2]
    assert ticket.pull_events() == []
    assert ticket.pending_events == []
    ticket.approve(APPROVER, at(2))
    assert [e.version for e in ticket.pull_events()] == [3]


def test_visibility() -> None:
    ticket = draft(AUTHOR)
    assert ticket.is_visible_to(AUTHOR)
    assert ticket.is_visible_to(APPROVER)
    assert ticket.is_visible_to(ADMIN)
    assert not ticket.is_visible_to(OTHER)
