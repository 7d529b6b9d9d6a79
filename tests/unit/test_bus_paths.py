"""What each command carries through the bus into its event (time, reason code,
description), and the bus's recovery paths: a lost idempotency race, a lost first-login
race, and a bus moved onto another clock."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from tests.unit.builders import approver, requester
from tests.unit.fakes import FakeClock, FakeIds, FakeStore, FakeUnitOfWork, fake_bus
from tickets.application.command_handlers import COMMAND_HANDLERS
from tickets.application.commands import (
    AddComment,
    ApproveTicket,
    CreateTicket,
    EditTicket,
    RegisterUser,
    RejectTicket,
    ReopenTicket,
    SubmitTicket,
)
from tickets.application.errors import IdempotencyKeyReused, IdempotencyRace, TicketNotFound
from tickets.application.messagebus import MessageBus
from tickets.application.ports import ClockAndIds, IdempotencyRequest, MessageContext
from tickets.application.results import CommentResult, Result, TicketResult, UserResult
from tickets.domain.events import TicketEdited, TicketRejected
from tickets.domain.rejection import RejectionCode
from tickets.domain.users import Role, User

ALICE = requester("alice")
CAROL = approver("carol")


def ctx(key: str | None = None, fp: str = "fp") -> MessageContext:
    request = IdempotencyRequest(key, fp) if key is not None else None
    return MessageContext(correlation_id="corr", idempotency=request)


class StoppedClock:
    """A clock that says what the test sets, so each event's time is known."""

    def __init__(self) -> None:
        self.current = datetime(2030, 5, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current


async def test_every_command_stamps_its_event_with_the_clocks_now() -> None:
    store = FakeStore()
    clock = StoppedClock()
    bus = MessageBus(lambda c: FakeUnitOfWork(store, c), ClockAndIds(clock, FakeIds()))
    steps = [
        lambda t: EditTicket(actor=ALICE, ticket_id=t, title="Desk"),
        lambda t: SubmitTicket(actor=ALICE, ticket_id=t),
        lambda t: RejectTicket(actor=CAROL, ticket_id=t, reason="no budget"),
        lambda t: ReopenTicket(actor=ALICE, ticket_id=t),
        lambda t: SubmitTicket(actor=ALICE, ticket_id=t),
        lambda t: ApproveTicket(actor=CAROL, ticket_id=t),
        lambda t: AddComment(actor=ALICE, ticket_id=t, body="thanks"),
    ]
    created = await bus.handle(CreateTicket(actor=ALICE, title="Laptop"), ctx())
    ticket_id = created.result.id
    for n, step in enumerate(steps, start=1):
        clock.current += timedelta(minutes=n)
        result = (await bus.handle(step(ticket_id), ctx())).result
        event, _ = store.outbox[-1]
        assert event.occurred_at == clock.current
        if isinstance(result, TicketResult):
            assert result.updated_at == clock.current
    assert store.tickets[ticket_id].updated_at == clock.current


async def test_reject_carries_its_reason_code_through_the_bus() -> None:
    bus, store = fake_bus()
    ticket_id = (await bus.handle(CreateTicket(actor=ALICE, title="Laptop"), ctx())).result.id
    await bus.handle(SubmitTicket(actor=ALICE, ticket_id=ticket_id), ctx())
    reject = RejectTicket(
        actor=CAROL, ticket_id=ticket_id, reason="too dear", reason_code=RejectionCode.BUDGET
    )
    await bus.handle(reject, ctx())
    event, _ = store.outbox[-1]
    assert isinstance(event, TicketRejected)
    assert (event.reason, event.reason_code) == ("too dear", RejectionCode.BUDGET)


async def test_an_edit_through_the_bus_keeps_its_description() -> None:
    bus, store = fake_bus()
    ticket_id = (await bus.handle(CreateTicket(actor=ALICE, title="Laptop"), ctx())).result.id
    edit = EditTicket(actor=ALICE, ticket_id=ticket_id, description="a faster one")
    result = (await bus.handle(edit, ctx())).result
    assert isinstance(result, TicketResult)
    assert (result.title, result.description) == ("Laptop", "a faster one")
    event, _ = store.outbox[-1]
    assert isinstance(event, TicketEdited)
    assert event.description == "a faster one"


class RacingUnitOfWork(FakeUnitOfWork):
    """The first commit loses an idempotency race: another request with the same key
    stores its response just before, as a concurrent first attempt would."""

    lost = False

    def __init__(self, store: FakeStore, context: MessageContext, winner: Result) -> None:
        super().__init__(store, context)
        self._winner = winner

    async def commit(self) -> None:
        if not RacingUnitOfWork.lost:
            RacingUnitOfWork.lost = True
            request = self.context.idempotency
            assert request is not None
            first_attempt = IdempotencyRequest(request.key, "fp")
            self.idempotency.remember(str(ALICE.id), first_attempt, self._winner)
            key, response = self.idempotency.pending or pytest.fail("nothing remembered")
            self.store.responses[key] = response
            self.idempotency.pending = None
            raise IdempotencyRace()
        await super().commit()


@pytest.mark.parametrize("fingerprint", ["fp", "another"])
async def test_a_lost_idempotency_race_replays_the_winners_response(fingerprint: str) -> None:
    store = FakeStore()
    bus, _ = fake_bus(store)
    ticket_id = (await bus.handle(CreateTicket(actor=ALICE, title="Laptop"), ctx())).result.id
    winner = TicketResult.of(store.tickets[ticket_id])
    RacingUnitOfWork.lost = False
    racing = MessageBus(
        lambda c: RacingUnitOfWork(store, c, winner), ClockAndIds(FakeClock(), FakeIds())
    )
    submit = SubmitTicket(actor=ALICE, ticket_id=ticket_id)
    if fingerprint != "fp":
        with pytest.raises(IdempotencyKeyReused, match=r"^this Idempotency-Key was already used"):
            await racing.handle(submit, ctx("k", fingerprint))
        return
    outcome = await racing.handle(submit, ctx("k", "fp"))
    assert outcome.replayed
    assert outcome.result == winner
    assert store.tickets[ticket_id].version == winner.version  # our submit rolled back


class NameTakenMeanwhile:
    """A user repository whose insert loses to a concurrent first login of that name."""

    def __init__(self, winner: User) -> None:
        self._winner = winner
        self._asked = 0

    async def get(self, user_id: UUID) -> User | None:
        return None

    async def get_by_name(self, name: str) -> User | None:
        self._asked += 1
        return self._winner if self._asked > 1 and name == self._winner.name else None

    async def insert(self, user: User) -> bool:
        return False

    async def save(self, user: User) -> User:
        return user


class LoginRaceUnitOfWork(FakeUnitOfWork):
    def __init__(self, store: FakeStore, context: MessageContext, winner: User) -> None:
        super().__init__(store, context)
        self.users = NameTakenMeanwhile(winner)  # type: ignore[assignment]


async def test_a_first_login_that_loses_the_insert_race_returns_the_winner() -> None:
    winner = User(FakeIds().new_id(), "erin", frozenset({Role.REQUESTER}))
    store = FakeStore()
    bus = MessageBus(
        lambda c: LoginRaceUnitOfWork(store, c, winner), ClockAndIds(FakeClock(), FakeIds())
    )
    result = (await bus.handle(RegisterUser(name="erin", role=Role.REQUESTER), ctx())).result
    assert result == UserResult.of(winner)


async def test_with_clock_and_ids_keeps_the_custom_handlers() -> None:
    seen: list[object] = []

    async def create_counted(cmd: CreateTicket, uow: object, clock_and_ids: ClockAndIds) -> Result:
        seen.append(clock_and_ids.clock)
        return await COMMAND_HANDLERS[CreateTicket](cmd, uow, clock_and_ids)  # type: ignore[arg-type]

    store = FakeStore()
    handlers = {**COMMAND_HANDLERS, CreateTicket: create_counted}
    bus = MessageBus(
        lambda c: FakeUnitOfWork(store, c), ClockAndIds(FakeClock(), FakeIds()), (), handlers
    )
    clock = StoppedClock()
    moved = bus.with_clock_and_ids(ClockAndIds(clock, FakeIds()))
    result = (await moved.handle(CreateTicket(actor=ALICE, title="Laptop"), ctx())).result
    assert seen == [clock]
    assert isinstance(result, TicketResult)
    assert result.created_at == clock.current


class Ids:
    """Ids a test can recognise, in order."""

    def __init__(self) -> None:
        self.given: list[UUID] = []

    def new_id(self) -> UUID:
        self.given.append(FakeIds().new_id())
        return self.given[-1]


async def test_results_carry_what_the_aggregate_holds() -> None:
    store, ids, clock = FakeStore(), Ids(), StoppedClock()
    bus = MessageBus(lambda c: FakeUnitOfWork(store, c), ClockAndIds(clock, ids))
    created = (await bus.handle(CreateTicket(actor=ALICE, title="Laptop"), ctx())).result
    assert isinstance(created, TicketResult)
    assert (created.author_id, created.author_name) == (ALICE.id, "alice")
    comment = AddComment(actor=ALICE, ticket_id=created.id, body="soon?")
    result = (await bus.handle(comment, ctx())).result
    assert isinstance(result, CommentResult)
    assert (result.id, result.created_at, result.version) == (
        ids.given[-1],
        clock.current,
        2,
    )
    assert result.id != created.id


class CountingUsers:
    """The fake store's users, counting inserts."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.inserts = 0

    async def get(self, user_id: UUID) -> User | None:
        return next((u for u in self._store.users.values() if u.id == user_id), None)

    async def get_by_name(self, name: str) -> User | None:
        return self._store.users.get(name)

    async def insert(self, user: User) -> bool:
        self.inserts += 1
        self._store.users.setdefault(user.name, user)
        return self._store.users[user.name] is user

    async def save(self, user: User) -> User:
        return user


async def test_a_known_user_logging_in_again_is_read_not_inserted() -> None:
    store = FakeStore()
    users = CountingUsers(store)

    def unit_of_work(context: MessageContext) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(store, context)
        uow.users = users  # type: ignore[assignment]
        return uow

    bus = MessageBus(unit_of_work, ClockAndIds(FakeClock(), FakeIds()))
    first = (await bus.handle(RegisterUser(name="erin", role=Role.REQUESTER), ctx())).result
    again = (await bus.handle(RegisterUser(name="erin", role=Role.REQUESTER), ctx())).result
    assert first == again
    assert users.inserts == 1


async def test_a_ticket_the_actor_may_not_see_is_not_found_by_its_id() -> None:
    bus, _ = fake_bus()
    ticket_id = (await bus.handle(CreateTicket(actor=ALICE, title="Laptop"), ctx())).result.id
    with pytest.raises(TicketNotFound) as raised:
        await bus.handle(SubmitTicket(actor=requester("bob"), ticket_id=ticket_id), ctx())
    assert str(raised.value) == f"ticket {ticket_id} not found"
