"""One contract for every unit of work: the same tests run on the SQL unit of work and
on the fake the unit tests use, so the fake cannot drift from the real one."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import pytest

from tests.integration.conftest import context
from tests.unit.fakes import FakeStore, FakeUnitOfWork
from tickets.application.errors import ConcurrencyConflict, IdempotencyRace
from tickets.application.ports import IdempotencyRequest, StoredResponse, UnitOfWorkFactory
from tickets.application.results import TicketResult
from tickets.bootstrap import Runtime
from tickets.domain.status import TicketStatus
from tickets.domain.ticket import Ticket
from tickets.domain.users import Role, User
from tickets.infrastructure.clock_and_ids import SystemClock

AUTHOR = User(uuid.uuid4(), "contract-author", frozenset({Role.REQUESTER}))
EVENTS = "SELECT aggregate_version, event_type FROM tickets.outbox_messages"
# Insertion order: a row has no position until the sequencer gives it one (NULLs sort
# in no defined order among themselves), and the test does not wait for it.
EVENTS_OF = f"{EVENTS} WHERE aggregate_id = $1 ORDER BY seq"


@dataclass
class Subject:
    """A unit of work factory and a way to read the events it committed for a ticket."""

    uow: UnitOfWorkFactory
    events: Callable[[UUID], Awaitable[list[tuple[int, str]]]]


@pytest.fixture(params=["fake", "sql"])
def subject(request: pytest.FixtureRequest, runtime: Runtime, db: asyncpg.Connection) -> Subject:
    if request.param == "fake":
        store = FakeStore()

        async def fake_events(ticket_id: UUID) -> list[tuple[int, str]]:
            return [(e.version, e.event_type) for e, _ in store.outbox if e.ticket_id == ticket_id]

        return Subject(lambda ctx: FakeUnitOfWork(store, ctx), fake_events)

    async def sql_events(ticket_id: UUID) -> list[tuple[int, str]]:
        return [(r[0], r[1]) for r in await db.fetch(EVENTS_OF, ticket_id)]

    return Subject(runtime.uow_factory, sql_events)


def new_ticket(title: str = "T") -> Ticket:
    return Ticket.create(uuid.uuid4(), AUTHOR, title, "", SystemClock().now())


async def stored(subject: Subject, ticket_id: UUID) -> Ticket | None:
    async with subject.uow(context()) as uow:
        return await uow.tickets.get(ticket_id)


async def committed(subject: Subject, ticket: Ticket) -> Ticket:
    """Store the ticket in its own unit of work; a fresh copy of what was stored."""
    async with subject.uow(context()) as uow:
        uow.tickets.add(ticket)
        await uow.commit()
    loaded = await stored(subject, ticket.id)
    assert loaded is not None
    return loaded


async def test_commit_stores_the_ticket_its_comments_and_events(subject: Subject) -> None:
    ticket = new_ticket()
    ticket.add_comment(AUTHOR, uuid.uuid4(), "first", SystemClock().now())
    await committed(subject, ticket)

    async with subject.uow(context()) as uow:
        loaded = await uow.tickets.get(ticket.id)
        assert loaded is not None
        loaded.submit(AUTHOR, SystemClock().now())
        await uow.commit()

    again = await stored(subject, ticket.id)
    assert again is not None
    assert (again.title, again.status, again.version) == ("T", TicketStatus.SUBMITTED, 3)
    assert await subject.events(ticket.id) == [
        (1, "ticket.created.v1"),
        (2, "comment.added.v1"),
        (3, "ticket.submitted.v1"),
    ]


async def test_a_batch_of_tickets_is_stored_by_one_commit(subject: Subject) -> None:
    tickets = [new_ticket(f"batch {i}") for i in range(3)]
    async with subject.uow(context()) as uow:
        for ticket in tickets:
            uow.tickets.add(ticket)
        await uow.commit()

    for ticket in tickets:
        assert (await stored(subject, ticket.id)) is not None
        assert await subject.events(ticket.id) == [(1, "ticket.created.v1")]


async def test_nothing_is_stored_without_commit(subject: Subject) -> None:
    left, failed = new_ticket(), new_ticket()
    async with subject.uow(context()) as uow:
        uow.tickets.add(left)
    with pytest.raises(RuntimeError):  # noqa: PT012 - the failure happens inside the UoW
        async with subject.uow(context()) as uow:
            uow.tickets.add(failed)
            raise RuntimeError("the handler failed")

    for ticket in (left, failed):
        assert await stored(subject, ticket.id) is None
        assert await subject.events(ticket.id) == []


async def test_a_ticket_changed_since_it_was_loaded_is_a_conflict(subject: Subject) -> None:
    ticket = await committed(subject, new_ticket())
    request = IdempotencyRequest(f"key-{uuid.uuid4()}", "print")
    now = SystemClock().now()

    async with subject.uow(context()) as first, subject.uow(context()) as second:
        mine = await first.tickets.get(ticket.id)
        theirs = await second.tickets.get(ticket.id)
        assert mine is not None
        assert theirs is not None
        mine.edit(AUTHOR, "first", None, now)
        theirs.edit(AUTHOR, "second", None, now)
        await first.commit()
        second.idempotency.remember("scope", request, TicketResult.of(theirs))
        with pytest.raises(ConcurrencyConflict):
            await second.commit()

    after = await stored(subject, ticket.id)
    assert after is not None
    assert (after.title, after.version) == ("first", 2)
    assert await subject.events(ticket.id) == [(1, "ticket.created.v1"), (2, "ticket.edited.v1")]
    async with subject.uow(context()) as uow:
        assert await uow.idempotency.get("scope", request.key) is None, "stored with the loser"


async def test_one_lost_guard_in_a_batch_stores_none_of_it(subject: Subject) -> None:
    kept, raced = await committed(subject, new_ticket()), await committed(subject, new_ticket())
    new = new_ticket("new")
    now = SystemClock().now()

    async with subject.uow(context()) as batch:
        for loaded in [await batch.tickets.get(kept.id), await batch.tickets.get(raced.id)]:
            assert loaded is not None
            loaded.edit(AUTHOR, "batch", None, now)
        batch.tickets.add(new)
        async with subject.uow(context()) as other:
            meanwhile = await other.tickets.get(raced.id)
            assert meanwhile is not None
            meanwhile.edit(AUTHOR, "meanwhile", None, now)
            await other.commit()
        with pytest.raises(ConcurrencyConflict):
            await batch.commit()

    assert await stored(subject, new.id) is None
    unchanged = await stored(subject, kept.id)
    assert unchanged is not None
    assert (unchanged.title, unchanged.version) == ("T", 1)


async def test_the_idempotency_record_is_stored_with_the_change(subject: Subject) -> None:
    ticket = new_ticket()
    request = IdempotencyRequest(f"key-{uuid.uuid4()}", "print")
    async with subject.uow(context()) as uow:
        uow.tickets.add(ticket)
        uow.idempotency.remember("scope", request, TicketResult.of(ticket))
        await uow.commit()

    async with subject.uow(context()) as uow:
        response = await uow.idempotency.get("scope", request.key)
    assert response == StoredResponse("print", TicketResult.of(ticket))


async def test_a_key_stored_concurrently_is_an_idempotency_race(subject: Subject) -> None:
    request = IdempotencyRequest(f"key-{uuid.uuid4()}", "print")
    first, second = new_ticket("first"), new_ticket("second")

    async with subject.uow(context()) as one, subject.uow(context()) as other:
        for uow, ticket in ((one, first), (other, second)):
            assert await uow.idempotency.get("scope", request.key) is None
            uow.tickets.add(ticket)
            uow.idempotency.remember("scope", request, TicketResult.of(ticket))
        await one.commit()
        with pytest.raises(IdempotencyRace):
            await other.commit()

    assert await stored(subject, second.id) is None
    async with subject.uow(context()) as uow:
        response = await uow.idempotency.get("scope", request.key)
    assert response == StoredResponse("print", TicketResult.of(first))


async def test_a_retry_beaten_by_its_first_attempt_is_an_idempotency_race(subject: Subject) -> None:
    """Both attempts change one ticket under one key: the later loses the version guard,
    and since the key is stored by then, the bus can replay the first attempt's answer."""
    ticket = await committed(subject, new_ticket())
    request = IdempotencyRequest(f"key-{uuid.uuid4()}", "print")
    now = SystemClock().now()

    async with subject.uow(context()) as first, subject.uow(context()) as retry:
        for uow in (first, retry):
            loaded = await uow.tickets.get(ticket.id)
            assert loaded is not None
            loaded.submit(AUTHOR, now)
            uow.idempotency.remember("scope", request, TicketResult.of(loaded))
        await first.commit()
        with pytest.raises(IdempotencyRace):
            await retry.commit()

    assert await subject.events(ticket.id) == [(1, "ticket.created.v1"), (2, "ticket.submitted.v1")]
