"""Every refusal of the domain and the application as a client sees it: which error
(its place in the hierarchy decides the HTTP status), its stable code, the field it
names and its message."""

from collections.abc import Callable
from uuid import uuid4

import pytest

from tests.unit.builders import T0, admin, approver, draft, requester, submitted, user
from tests.unit.fakes import fake_bus
from tickets.application.commands import Command, RegisterUser, RunBatch
from tickets.application.errors import (
    ApplicationError,
    ConcurrencyConflict,
    IdempotencyKeyReused,
    InvalidCommand,
    InvalidQuery,
    ReadModelBehind,
    TicketNotFound,
    VersionMismatch,
    VersionNotWritten,
)
from tickets.application.ports import MessageContext
from tickets.application.queries import CURSOR_MAX, PAGE_MAX, TEXT_FILTER_MAX, ListTickets
from tickets.application.results import Result
from tickets.application.users import ChangeUserRole, ProvisionUser, UserNameTaken, UserNotFound
from tickets.domain.errors import (
    CommentBodyRequired,
    DomainError,
    InvalidCharacter,
    InvalidValue,
    PermissionDenied,
    ReasonRequired,
    RuleViolation,
    SelfDecision,
    TicketNotEditable,
    TitleRequired,
    ValueTooLong,
)
from tickets.domain.limits import TITLE_MAX
from tickets.domain.status import TicketStatus
from tickets.domain.ticket import Ticket
from tickets.domain.users import OwnRoleChange, Role, RoleMismatch, User, provider_user_id

ALICE = requester("alice")
CTX = MessageContext(correlation_id="refusals")
BOB = requester("bob")
CAROL = approver("carol")
DAVE = admin("dave")


ERIN = user("erin", Role.REQUESTER, Role.APPROVER)
PROVIDED = User(provider_user_id("https://idp.example", "pat"), "pat", frozenset({Role.REQUESTER}))


def untitled_draft() -> Ticket:
    ticket = draft(ALICE)
    ticket.title = ""
    return ticket


def refusal(act: Callable[[], object]) -> Exception:
    with pytest.raises((DomainError, ApplicationError)) as raised:
        act()
    return raised.value


# (what is refused, the error class, its base, code, field or None, message)
DOMAIN: list[tuple[str, Callable[[], object], type[Exception], type[Exception], str, str]] = [
    (
        "edit by another",
        lambda: draft(ALICE).edit(BOB, "x", None, T0),
        PermissionDenied,
        DomainError,
        "auth.forbidden",
        "only the author may edit this ticket",
    ),
    (
        "submit by another",
        lambda: draft(ALICE).submit(BOB, T0),
        PermissionDenied,
        DomainError,
        "auth.forbidden",
        "only the author may submit this ticket",
    ),
    (
        "reopen by another",
        lambda: draft(ALICE).reopen(BOB, T0),
        PermissionDenied,
        DomainError,
        "auth.forbidden",
        "only the author may reopen this ticket",
    ),
    (
        "edit when submitted",
        lambda: submitted(ALICE).edit(ALICE, "x", None, T0),
        TicketNotEditable,
        RuleViolation,
        "ticket.not_editable",
        "only drafts can be edited; this ticket is submitted",
    ),
    (
        "submit untitled",
        lambda: untitled_draft().submit(ALICE, T0),
        TitleRequired,
        RuleViolation,
        "ticket.title_required",
        "a ticket needs a title before it can be submitted",
    ),
    (
        "approve by a requester",
        lambda: submitted(ALICE).approve(BOB, T0),
        PermissionDenied,
        DomainError,
        "auth.forbidden",
        "only approvers may approve or reject tickets",
    ),
    (
        "approve own",
        lambda: submitted(ERIN).approve(ERIN, T0),
        SelfDecision,
        PermissionDenied,
        "ticket.self_decision",
        "an approver cannot decide on a ticket they wrote",
    ),
    (
        "comment by another",
        lambda: draft(ALICE).add_comment(BOB, uuid4(), "hi", T0),
        PermissionDenied,
        DomainError,
        "auth.forbidden",
        "only the author, approvers and admins may comment",
    ),
    (
        "role change by a non-admin",
        lambda: BOB.with_role(Role.ADMIN, CAROL),
        PermissionDenied,
        DomainError,
        "auth.forbidden",
        "only admins change roles",
    ),
    (
        "own role change",
        lambda: DAVE.with_role(Role.REQUESTER, DAVE),
        OwnRoleChange,
        PermissionDenied,
        "user.own_role",
        "admins cannot change their own role; ask another admin",
    ),
    (
        "provider role change",
        lambda: PROVIDED.with_role(Role.ADMIN, DAVE),
        Exception,
        RuleViolation,
        "user.role_managed_by_identity_provider",
        "the roles of pat come from the identity provider's tokens; "
        "change them in the identity provider",
    ),
    (
        "login with another role",
        lambda: ALICE.check_login_as(Role.ADMIN),
        RoleMismatch,
        RuleViolation,
        "user.role_mismatch",
        "user alice has the role requester, not admin; an admin changes roles "
        "(tickets users set-role / PUT /admin/users/{id}/role)",
    ),
    (
        "login of a user with no role",
        lambda: User(uuid4(), "nobody", frozenset()).check_login_as(Role.ADMIN),
        RoleMismatch,
        RuleViolation,
        "user.role_mismatch",
        "user nobody has the role none, not admin; an admin changes roles "
        "(tickets users set-role / PUT /admin/users/{id}/role)",
    ),
    (
        "login of a user with two roles",
        lambda: ERIN.check_login_as(Role.ADMIN),
        RoleMismatch,
        RuleViolation,
        "user.role_mismatch",
        "user erin has the role approver, requester, not admin; an admin changes roles "
        "(tickets users set-role / PUT /admin/users/{id}/role)",
    ),
]


@pytest.mark.parametrize(
    ("act", "kind", "base", "code", "message"),
    [row[1:] for row in DOMAIN],
    ids=[row[0] for row in DOMAIN],
)
def test_domain_refusals(
    act: Callable[[], object], kind: type[Exception], base: type[Exception], code: str, message: str
) -> None:
    error = refusal(act)
    assert isinstance(error, kind)
    assert isinstance(error, base)
    assert error.code == code  # type: ignore[attr-defined]
    assert str(error) == message


# (what is refused, the error class, field, message)
FIELDS: list[tuple[str, Callable[[], object], type[InvalidValue], str, str]] = [
    (
        "blank reason",
        lambda: submitted(ALICE).reject(CAROL, "  ", T0),
        ReasonRequired,
        "reason",
        "reason must not be blank",
    ),
    (
        "blank comment",
        lambda: draft(ALICE).add_comment(ALICE, uuid4(), "\n", T0),
        CommentBodyRequired,
        "body",
        "body must not be blank",
    ),
    (
        "long title",
        lambda: draft(ALICE).edit(ALICE, "x" * (TITLE_MAX + 1), None, T0),
        ValueTooLong,
        "title",
        f"title must be at most {TITLE_MAX} characters, got {TITLE_MAX + 1}",
    ),
    (
        "NUL in a title",
        lambda: draft(ALICE).edit(ALICE, "a\x00b", None, T0),
        InvalidCharacter,
        "title",
        "title must not contain NUL characters",
    ),
]


@pytest.mark.parametrize(
    ("act", "kind", "field", "message"), [row[1:] for row in FIELDS], ids=[r[0] for r in FIELDS]
)
def test_field_refusals_name_their_field(
    act: Callable[[], object], kind: type[InvalidValue], field: str, message: str
) -> None:
    error = refusal(act)
    assert type(error) is kind
    assert isinstance(error, InvalidValue)
    assert not isinstance(error, RuleViolation)
    assert (error.field, str(error)) == (field, message)  # type: ignore[attr-defined]


def invalid(command: Command[Result]) -> InvalidCommand:
    with pytest.raises(InvalidCommand) as raised:
        command.validate()
    return raised.value


def test_command_refusals_name_their_field() -> None:
    error = invalid(RegisterUser(name="-bad", role=Role.REQUESTER))
    assert error.field == "username"
    assert str(error) == (
        "username must be 1-64 characters: letters, digits and _ . @ - "
        "(starting with a letter or digit)"
    )
    nested = RunBatch(commands=[RunBatch(commands=[])])
    error = invalid(nested)
    assert (error.field, str(error)) == ("commands", "a batch cannot contain a batch")
    both = ChangeUserRole(actor=DAVE, user_id=uuid4(), name="bob", role=Role.ADMIN)
    error = invalid(both)
    assert (error.field, str(error)) == ("user", "name the user by id or by name, not both")
    assert error.code == "request.invalid_command"


@pytest.mark.parametrize("limit", [0, PAGE_MAX + 1])
def test_a_page_size_out_of_range_is_refused(limit: int) -> None:
    with pytest.raises(InvalidQuery) as raised:
        ListTickets(viewer=ALICE, limit=limit)
    assert (raised.value.field, str(raised.value)) == (
        "limit",
        f"limit must be between 1 and {PAGE_MAX}",
    )


@pytest.mark.parametrize("limit", [1, 2, PAGE_MAX])
def test_a_page_size_in_range_is_taken(limit: int) -> None:
    assert ListTickets(viewer=ALICE, limit=limit).limit == limit


def test_application_errors_say_what_went_wrong() -> None:
    assert str(VersionMismatch(3, 5)) == "expected version 3, but the ticket is at version 5"
    assert str(ConcurrencyConflict()) == (
        "the ticket was changed concurrently; reload it and try again"
    )
    assert str(ReadModelBehind(None, 4)) == (
        "the read model does not show the ticket yet, not yet 4; retry shortly"
    )
    behind = VersionNotWritten(2, 7)
    assert behind.current == 2
    assert str(behind) == (
        "the ticket is at version 2; version 7 has not been written, "
        "so there is nothing to wait for"
    )
    assert str(TicketNotFound("ticket x not found")) == "ticket x not found"
    assert str(InvalidQuery("q", "bad q")) == "bad q"
    assert str(InvalidCommand("c", "bad c")) == "bad c"
    assert IdempotencyKeyReused.code == "idempotency.key_reused"


def test_the_status_strings_are_the_api_s() -> None:
    assert [s.value for s in TicketStatus] == ["draft", "submitted", "approved", "rejected"]


def test_anonymous_commands_share_one_idempotency_scope() -> None:
    assert RegisterUser(name="x", role=Role.REQUESTER).idempotency_scope() == "anonymous"
    change = ChangeUserRole(actor=DAVE, name="bob", role=Role.ADMIN)
    assert change.idempotency_scope() == str(DAVE.id)


def test_text_filters_say_what_is_wrong() -> None:
    with pytest.raises(InvalidQuery) as raised:
        ListTickets(viewer=ALICE, author="a\x00")
    assert str(raised.value) == "author must not contain NUL characters"
    with pytest.raises(InvalidQuery) as raised:
        ListTickets(viewer=ALICE, q="q" * (TEXT_FILTER_MAX + 1))
    assert str(raised.value) == f"q must be at most {TEXT_FILTER_MAX} characters"
    with pytest.raises(InvalidQuery) as raised:
        ListTickets(viewer=ALICE, cursor="c" * (CURSOR_MAX + 1))
    assert (raised.value.field, str(raised.value)) == (
        "cursor",
        f"cursor must be at most {CURSOR_MAX} characters",
    )
    assert ListTickets(viewer=ALICE, cursor="c" * CURSOR_MAX).cursor is not None


async def test_user_administration_refusals_say_whom() -> None:
    bus, store = fake_bus()
    store.users["dave"] = DAVE
    with pytest.raises(UserNotFound) as raised:
        await bus.handle(ChangeUserRole(actor=DAVE, name="bob", role=Role.ADMIN), CTX)
    assert str(raised.value) == "no user bob"
    missing = uuid4()
    with pytest.raises(UserNotFound) as raised:
        await bus.handle(ChangeUserRole(actor=DAVE, user_id=missing, role=Role.ADMIN), CTX)
    assert str(raised.value) == f"no user {missing}"
    pat = provider_user_id("https://idp.example", "pat")
    for name in ("pat", f"pat#{pat.hex[:8]}"):
        store.users[name] = User(uuid4(), name, frozenset({Role.REQUESTER}))
    provision = ProvisionUser(user_id=pat, name="pat", roles=frozenset({Role.REQUESTER}))
    with pytest.raises(UserNameTaken) as raised:
        await bus.handle(provision, CTX)
    assert str(raised.value) == "cannot record user pat: the name is taken"
