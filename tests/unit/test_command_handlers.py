"""Command handlers through the MessageBus, on in-memory fakes."""

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest

from tests.unit.builders import admin, approver, requester, user
from tests.unit.fakes import FakeClock, FakeIds, FakeStore, FakeUnitOfWork, fake_bus
from tickets.application.behaviours import default_behaviours
from tickets.application.commands import (
    AddComment,
    ApproveTicket,
    Command,
    CreateTicket,
    EditTicket,
    RegisterUser,
    RejectTicket,
    ReopenTicket,
    SubmitTicket,
    TicketCommand,
)
from tickets.application.errors import (
    IdempotencyKeyReused,
    InvalidCommand,
    TicketNotFound,
    VersionMismatch,
)
from tickets.application.messagebus import MessageBus
from tickets.application.ports import ClockAndIds, IdempotencyRequest, MessageContext
from tickets.application.results import Result, TicketResult
from tickets.domain.errors import (
    CommentBodyRequired,
    DomainError,
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
    TicketSubmitted,
)
from tickets.domain.status import TicketStatus
from tickets.domain.users import Role, User

ALICE = requester("alice")
BOB = requester("bob")
CAROL = approver("carol")
DAVE = admin("dave")
ERIN = user("erin", Role.REQUESTER, Role.APPROVER)


def ctx(correlation_id: str = "corr", key: str | None = None, fp: str = "fp") -> MessageContext:
    request = IdempotencyRequest(key, fp) if key is not None else None
    return MessageContext(correlation_id=correlation_id, idempotency=request)


async def create(bus: MessageBus, actor: User = ALICE, title: str = "Laptop") -> UUID:
    outcome = await bus.handle(CreateTicket(actor=actor, title=title), ctx())
    return outcome.result.id


async def submitted(bus: MessageBus, actor: User = ALICE) -> UUID:
    ticket_id = await create(bus, actor)
    await bus.handle(SubmitTicket(actor=actor, ticket_id=ticket_id), ctx())
    return ticket_id


def state(store: FakeStore) -> tuple[object, ...]:
    """Everything a command could change in the store."""
    tickets = {
        tid: (TicketResult.of(t), len(t.new_comments), len(t.pending_events))
        for tid, t in store.tickets.items()
    }
    return (store.commits, list(store.outbox), tickets, dict(store.responses), dict(store.users))


# --- the happy path -----------------------------------------------------------------------


async def test_create_submit_approve_writes_versioned_events_with_correlation_ids() -> None:
    bus, store = fake_bus()
    created = await bus.handle(CreateTicket(actor=ALICE, title="Laptop"), ctx("c-1"))
    ticket_id = created.result.id
    assert (created.result.version, created.result.status) == (1, TicketStatus.DRAFT)
    assert not created.replayed

    sub = await bus.handle(SubmitTicket(actor=ALICE, ticket_id=ticket_id), ctx("c-2"))
    appr = await bus.handle(ApproveTicket(actor=CAROL, ticket_id=ticket_id), ctx("c-3"))
    assert (sub.result.version, sub.result.status) == (2, TicketStatus.SUBMITTED)
    assert (appr.result.version, appr.result.status) == (3, TicketStatus.APPROVED)

    assert [(type(e), e.version, e.ticket_id, c.correlation_id) for e, c in store.outbox] == [
        (TicketCreated, 1, ticket_id, "c-1"),
        (TicketSubmitted, 2, ticket_id, "c-2"),
        (TicketApproved, 3, ticket_id, "c-3"),
    ]
    assert [e.actor_id for e, _ in store.outbox] == [ALICE.id, ALICE.id, CAROL.id]
    assert store.commits == 3
    stored = store.tickets[ticket_id]
    assert (stored.status, stored.version) == (TicketStatus.APPROVED, 3)
    assert stored.pending_events == []


async def test_add_comment_returns_the_comment_and_the_ticket_version() -> None:
    bus, store = fake_bus()
    ticket_id = await create(bus)
    outcome = await bus.handle(
        AddComment(actor=DAVE, ticket_id=ticket_id, body=" hello "), ctx("c-9")
    )
    result = outcome.result
    assert (result.ticket_id, result.body, result.version) == (ticket_id, "hello", 2)
    assert (result.author_id, result.author_name) == (DAVE.id, "dave")
    event, context = store.outbox[-1]
    assert isinstance(event, CommentAdded)
    assert (event.comment_id, event.version, context.correlation_id) == (result.id, 2, "c-9")


async def test_reject_and_reopen_through_the_bus() -> None:
    bus, store = fake_bus()
    ticket_id = await submitted(bus)
    await bus.handle(RejectTicket(actor=CAROL, ticket_id=ticket_id, reason="no"), ctx())
    outcome = await bus.handle(ReopenTicket(actor=ALICE, ticket_id=ticket_id), ctx())
    assert (outcome.result.status, outcome.result.version) == (TicketStatus.DRAFT, 4)
    assert [e.version for e, _ in store.outbox] == [1, 2, 3, 4]


async def test_edit_that_changes_nothing_writes_no_event() -> None:
    bus, store = fake_bus()
    ticket_id = await create(bus, title="Laptop")
    outbox = list(store.outbox)
    outcome = await bus.handle(EditTicket(actor=ALICE, ticket_id=ticket_id, title="Laptop"), ctx())
    assert outcome.result.version == 1
    assert store.outbox == outbox
    assert store.tickets[ticket_id].version == 1


# --- refusals commit nothing --------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    name: str
    title: str
    submit_first: bool
    make: Callable[[UUID], Command[Result]]
    error: type[Exception]


REFUSALS = [
    Refusal(
        "submit-no-title",
        "",
        False,
        lambda t: SubmitTicket(actor=ALICE, ticket_id=t),
        TitleRequired,
    ),
    Refusal(
        "approve-draft",
        "T",
        False,
        lambda t: ApproveTicket(actor=CAROL, ticket_id=t),
        InvalidTransition,
    ),
    Refusal(
        "edit-submitted",
        "T",
        True,
        lambda t: EditTicket(actor=ALICE, ticket_id=t, title="x"),
        TicketNotEditable,
    ),
    Refusal(
        "approve-by-admin",
        "T",
        True,
        lambda t: ApproveTicket(actor=DAVE, ticket_id=t),
        PermissionDenied,
    ),
    Refusal(
        "reject-blank-reason",
        "T",
        True,
        lambda t: RejectTicket(actor=CAROL, ticket_id=t, reason=" "),
        ReasonRequired,
    ),
    Refusal(
        "reopen-submitted",
        "T",
        True,
        lambda t: ReopenTicket(actor=ALICE, ticket_id=t),
        InvalidTransition,
    ),
    Refusal(
        "comment-blank",
        "T",
        True,
        lambda t: AddComment(actor=CAROL, ticket_id=t, body=""),
        CommentBodyRequired,
    ),
    Refusal(
        "edit-too-long",
        "T",
        False,
        lambda t: EditTicket(actor=ALICE, ticket_id=t, title="t" * 201),
        ValueTooLong,
    ),
]


@pytest.mark.parametrize("refusal", REFUSALS, ids=[r.name for r in REFUSALS])
async def test_a_refused_command_commits_nothing(refusal: Refusal) -> None:
    bus, store = fake_bus()
    ticket_id = await create(bus, title=refusal.title)
    if refusal.submit_first:
        await bus.handle(SubmitTicket(actor=ALICE, ticket_id=ticket_id), ctx())
    before = state(store)
    with pytest.raises(refusal.error) as raised:
        await bus.handle(refusal.make(ticket_id), ctx(key="k-1"))
    assert type(raised.value) is refusal.error
    assert state(store) == before


async def test_self_decision_is_refused_and_commits_nothing() -> None:
    bus, store = fake_bus()
    ticket_id = await submitted(bus, actor=ERIN)
    before = state(store)
    with pytest.raises(SelfDecision):
        await bus.handle(ApproveTicket(actor=ERIN, ticket_id=ticket_id), ctx())
    assert state(store) == before


async def test_a_refused_create_stores_no_ticket() -> None:
    bus, store = fake_bus()
    with pytest.raises(ValueTooLong):
        await bus.handle(CreateTicket(actor=ALICE, title="t" * 201), ctx(key="k"))
    assert (store.commits, store.outbox, store.tickets, store.responses) == (0, [], {}, {})


# --- visibility and lookup ----------------------------------------------------------------

TICKET_COMMANDS: dict[str, Callable[[User, UUID], Command[Result]]] = {
    "edit": lambda a, t: EditTicket(actor=a, ticket_id=t, title="x"),
    "submit": lambda a, t: SubmitTicket(actor=a, ticket_id=t),
    "approve": lambda a, t: ApproveTicket(actor=a, ticket_id=t),
    "reject": lambda a, t: RejectTicket(actor=a, ticket_id=t, reason="no"),
    "reopen": lambda a, t: ReopenTicket(actor=a, ticket_id=t),
    "comment": lambda a, t: AddComment(actor=a, ticket_id=t, body="hi"),
}


@pytest.mark.parametrize("make", TICKET_COMMANDS.values(), ids=TICKET_COMMANDS.keys())
async def test_a_requester_cannot_see_someone_elses_ticket(
    make: Callable[[User, UUID], Command[Result]],
) -> None:
    bus, store = fake_bus()
    ticket_id = await submitted(bus, actor=ALICE)
    before = state(store)
    with pytest.raises(TicketNotFound) as raised:
        await bus.handle(make(BOB, ticket_id), ctx())
    assert raised.value.code == "ticket.not_found"
    assert not isinstance(raised.value, DomainError)
    assert state(store) == before


@pytest.mark.parametrize("make", TICKET_COMMANDS.values(), ids=TICKET_COMMANDS.keys())
async def test_unknown_ticket_is_not_found(make: Callable[[User, UUID], Command[Result]]) -> None:
    bus, store = fake_bus()
    with pytest.raises(TicketNotFound):
        await bus.handle(make(ALICE, uuid4()), ctx())
    assert store.commits == 0


async def test_an_approver_sees_the_ticket_and_gets_the_domain_rule() -> None:
    bus, _ = fake_bus()
    ticket_id = await create(bus, actor=ALICE)
    with pytest.raises(PermissionDenied):
        await bus.handle(EditTicket(actor=CAROL, ticket_id=ticket_id, title="x"), ctx())


# --- optimistic concurrency ---------------------------------------------------------------


async def test_expected_version_mismatch_commits_nothing() -> None:
    bus, store = fake_bus()
    ticket_id = await create(bus)
    before = state(store)
    with pytest.raises(VersionMismatch) as raised:
        await bus.handle(SubmitTicket(actor=ALICE, ticket_id=ticket_id, expected_version=7), ctx())
    assert (raised.value.expected, raised.value.current) == (7, 1)
    assert raised.value.code == "ticket.version_mismatch"
    assert state(store) == before


async def test_matching_expected_version_succeeds() -> None:
    bus, store = fake_bus()
    ticket_id = await create(bus)
    outcome = await bus.handle(
        SubmitTicket(actor=ALICE, ticket_id=ticket_id, expected_version=1), ctx()
    )
    assert outcome.result.version == 2
    assert store.tickets[ticket_id].status is TicketStatus.SUBMITTED


# --- idempotency --------------------------------------------------------------------------


async def test_same_key_and_fingerprint_replays_the_stored_result() -> None:
    bus, store = fake_bus()
    first = await bus.handle(CreateTicket(actor=ALICE, title="Laptop"), ctx(key="k", fp="A"))
    before = state(store)
    again = await bus.handle(CreateTicket(actor=ALICE, title="Laptop"), ctx(key="k", fp="A"))
    assert not first.replayed
    assert again.replayed
    assert again.result == first.result
    assert state(store) == before
    assert len(store.tickets) == 1


async def test_replay_returns_the_result_as_it_was_then() -> None:
    bus, store = fake_bus()
    ticket_id = await create(bus)
    submit = SubmitTicket(actor=ALICE, ticket_id=ticket_id)
    first = await bus.handle(submit, ctx(key="s", fp="S"))
    await bus.handle(ApproveTicket(actor=CAROL, ticket_id=ticket_id), ctx())
    before = state(store)
    again = await bus.handle(submit, ctx(key="s", fp="S"))
    assert again.replayed
    assert again.result == first.result
    assert again.result.status is TicketStatus.SUBMITTED
    assert state(store) == before


async def test_same_key_with_a_different_request_is_refused() -> None:
    bus, store = fake_bus()
    await bus.handle(CreateTicket(actor=ALICE, title="Laptop"), ctx(key="k", fp="A"))
    before = state(store)
    with pytest.raises(IdempotencyKeyReused) as raised:
        await bus.handle(CreateTicket(actor=ALICE, title="Phone"), ctx(key="k", fp="B"))
    assert raised.value.code == "idempotency.key_reused"
    assert state(store) == before


async def test_idempotency_keys_are_scoped_per_actor() -> None:
    bus, store = fake_bus()
    mine = await bus.handle(CreateTicket(actor=ALICE, title="Laptop"), ctx(key="k", fp="A"))
    theirs = await bus.handle(CreateTicket(actor=BOB, title="Laptop"), ctx(key="k", fp="A"))
    assert not theirs.replayed
    assert theirs.result.id != mine.result.id
    assert theirs.result.author_id == BOB.id
    assert len(store.tickets) == 2
    assert store.commits == 2


async def test_a_failed_command_does_not_burn_its_key() -> None:
    bus, store = fake_bus()
    ticket_id = await create(bus, title="")
    with pytest.raises(TitleRequired):
        await bus.handle(SubmitTicket(actor=ALICE, ticket_id=ticket_id), ctx(key="k", fp="A"))
    await bus.handle(EditTicket(actor=ALICE, ticket_id=ticket_id, title="T"), ctx())
    outcome = await bus.handle(SubmitTicket(actor=ALICE, ticket_id=ticket_id), ctx(key="k", fp="A"))
    assert not outcome.replayed
    assert store.tickets[ticket_id].status is TicketStatus.SUBMITTED


# --- users, validation and metrics --------------------------------------------------------


class RecordingMetrics:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float]] = []

    def command_handled(self, command: str, outcome: str, seconds: float) -> None:
        self.calls.append((command, outcome, seconds))

    def outcomes(self) -> list[tuple[str, str]]:
        return [(command, outcome) for command, outcome, _ in self.calls]


def pipeline_bus() -> tuple[MessageBus, FakeStore, RecordingMetrics]:
    store, metrics = FakeStore(), RecordingMetrics()
    bus = MessageBus(
        lambda context: FakeUnitOfWork(store, context),
        ClockAndIds(FakeClock(), FakeIds()),
        default_behaviours(metrics),
    )
    return bus, store, metrics


async def test_register_user_creates_once_and_returns_the_same_id() -> None:
    bus, store, metrics = pipeline_bus()
    first = await bus.handle(RegisterUser(name="alice", role=Role.REQUESTER), ctx())
    second = await bus.handle(RegisterUser(name="alice", role=Role.REQUESTER), ctx())
    assert first.result.id == second.result.id
    assert (first.result.name, first.result.roles) == ("alice", (Role.REQUESTER,))
    assert list(store.users) == ["alice"]
    assert store.users["alice"].id == first.result.id
    other = await bus.handle(RegisterUser(name="bob", role=Role.APPROVER), ctx())
    assert other.result.id != first.result.id
    assert metrics.outcomes() == [("RegisterUser", "ok")] * 3
    assert all(seconds >= 0 for _, _, seconds in metrics.calls)


@pytest.mark.parametrize(
    "name",
    [
        "",
        " alice",
        "-alice",
        "a b",
        "x" * 65,
        "al/ice",
        pytest.param("alice\n", id="trailing-newline"),
        pytest.param("alice\nbob", id="inner-newline"),
    ],
)
async def test_invalid_username_is_refused_before_the_handler(name: str) -> None:
    bus, store, metrics = pipeline_bus()
    with pytest.raises(InvalidCommand) as raised:
        await bus.handle(RegisterUser(name=name, role=Role.REQUESTER), ctx())
    assert raised.value.field == "username"
    assert (store.commits, store.users) == (0, {})
    assert metrics.outcomes() == [("RegisterUser", "request.invalid_command")]


@pytest.mark.parametrize("name", ["a", "alice", "a.b-c_d@example.com", "x" * 64, "7"])
async def test_valid_usernames_are_accepted(name: str) -> None:
    bus, store, _ = pipeline_bus()
    await bus.handle(RegisterUser(name=name, role=Role.ADMIN), ctx())
    assert name in store.users


async def test_metrics_record_command_names_and_outcome_codes() -> None:
    bus, _, metrics = pipeline_bus()
    created = await bus.handle(CreateTicket(actor=ALICE, title=""), ctx())
    ticket_id = created.result.id
    with pytest.raises(TitleRequired):
        await bus.handle(SubmitTicket(actor=ALICE, ticket_id=ticket_id), ctx())
    with pytest.raises(TicketNotFound):
        await bus.handle(SubmitTicket(actor=BOB, ticket_id=ticket_id), ctx())
    with pytest.raises(VersionMismatch):
        await bus.handle(SubmitTicket(actor=ALICE, ticket_id=ticket_id, expected_version=9), ctx())
    assert metrics.outcomes() == [
        ("CreateTicket", "ok"),
        ("SubmitTicket", "ticket.title_required"),
        ("SubmitTicket", "ticket.not_found"),
        ("SubmitTicket", "ticket.version_mismatch"),
    ]


async def test_pipeline_passes_results_and_replays_through() -> None:
    bus, store, metrics = pipeline_bus()
    first = await bus.handle(CreateTicket(actor=ALICE, title="T"), ctx(key="k", fp="A"))
    again = await bus.handle(CreateTicket(actor=ALICE, title="T"), ctx(key="k", fp="A"))
    assert again.replayed
    assert again.result == first.result
    assert store.commits == 1
    assert metrics.outcomes() == [("CreateTicket", "ok"), ("CreateTicket", "ok")]


def test_every_ticket_command_is_scoped_to_its_actor() -> None:
    command: TicketCommand[TicketResult] = SubmitTicket(actor=ALICE, ticket_id=uuid4())
    assert command.idempotency_scope() == str(ALICE.id)
    assert CreateTicket(actor=BOB).idempotency_scope() == str(BOB.id)
