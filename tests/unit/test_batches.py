"""RunBatch: many commands in one unit of work, through the same bus and behaviours."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from tests.unit.builders import approver, requester
from tests.unit.fakes import FakeIds
from tests.unit.test_command_handlers import ctx, pipeline_bus
from tickets.application.commands import (
    AddComment,
    ApproveTicket,
    Command,
    CreateTicket,
    RegisterUser,
    RunBatch,
    SubmitTicket,
)
from tickets.application.errors import InvalidCommand
from tickets.application.ports import ClockAndIds
from tickets.application.results import TicketResult
from tickets.domain.errors import InvalidTransition
from tickets.domain.events import CommentAdded, TicketApproved, TicketCreated, TicketSubmitted
from tickets.domain.status import TicketStatus
from tickets.domain.users import Role

ALICE = requester("alice")
CAROL = approver("carol")


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def story(ticket_id: UUID) -> tuple[Command[TicketResult], ...]:
    """Create, submit and approve one ticket."""
    return (
        CreateTicket(actor=ALICE, title="Laptop", ticket_id=ticket_id),
        SubmitTicket(actor=ALICE, ticket_id=ticket_id),
        ApproveTicket(actor=CAROL, ticket_id=ticket_id),
    )


async def test_a_batch_commits_once_and_passes_the_behaviours_once() -> None:
    bus, store, metrics = pipeline_bus()
    first, second = uuid4(), uuid4()
    batch = RunBatch(commands=(*story(first), *story(second)))
    outcome = await bus.handle(batch, ctx("seed-1"))
    assert outcome.result.commands == 6
    assert store.commits == 1
    assert metrics.outcomes() == [("RunBatch", "ok")]
    assert [(type(e), e.ticket_id) for e, _ in store.outbox] == [
        (TicketCreated, first),
        (TicketSubmitted, first),
        (TicketApproved, first),
        (TicketCreated, second),
        (TicketSubmitted, second),
        (TicketApproved, second),
    ]
    assert {c.correlation_id for _, c in store.outbox} == {"seed-1"}
    assert store.tickets[second].status is TicketStatus.APPROVED


async def test_a_refused_command_rolls_the_whole_batch_back() -> None:
    bus, store, metrics = pipeline_bus()
    ticket_id = uuid4()
    commands = (*story(ticket_id), SubmitTicket(actor=ALICE, ticket_id=ticket_id))
    with pytest.raises(InvalidTransition):
        await bus.handle(RunBatch(commands=commands), ctx())
    assert (store.commits, store.outbox, store.tickets) == (0, [], {})
    assert metrics.outcomes() == [("RunBatch", "ticket.invalid_transition")]


async def test_every_command_of_a_batch_is_validated_before_any_handler() -> None:
    bus, store, _ = pipeline_bus()
    commands = (
        CreateTicket(actor=ALICE, title="Laptop"),
        RegisterUser(name="not valid", role=Role.REQUESTER),
    )
    with pytest.raises(InvalidCommand):
        await bus.handle(RunBatch(commands=commands), ctx())
    nested = RunBatch(commands=(RunBatch(commands=()),))
    with pytest.raises(InvalidCommand):
        await bus.handle(nested, ctx())
    assert (store.commits, store.users, store.tickets) == (0, {}, {})


async def test_with_clock_and_ids_keeps_the_store_and_behaviours_with_another_clock() -> None:
    bus, store, metrics = pipeline_bus()
    long_ago = datetime(2020, 2, 2, tzinfo=UTC)
    seeder = bus.with_clock_and_ids(ClockAndIds(FixedClock(long_ago), FakeIds()))
    ticket_id = uuid4()
    comment = AddComment(actor=ALICE, ticket_id=ticket_id, body="hi")
    commands = (CreateTicket(actor=ALICE, title="Old", ticket_id=ticket_id), comment)
    await seeder.handle(RunBatch(commands=commands), ctx())
    events = [e for e, _ in store.outbox]
    assert [type(e) for e in events] == [TicketCreated, CommentAdded]
    assert {e.occurred_at for e in events} == {long_ago}
    assert metrics.outcomes() == [("RunBatch", "ok")]
    created = await bus.handle(CreateTicket(actor=ALICE, title="New"), ctx())
    assert created.result.created_at > long_ago


async def test_a_registered_user_result_gives_back_the_user() -> None:
    bus, _, _ = pipeline_bus()
    outcome = await bus.handle(RegisterUser(name="erin", role=Role.APPROVER), ctx())
    user = outcome.result.user()
    assert (user.id, user.name, user.roles) == (
        outcome.result.id,
        "erin",
        frozenset({Role.APPROVER}),
    )
