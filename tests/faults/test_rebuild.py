"""Rebuilding projections from the log: equal to live delivery, also while commands
keep arriving and the worker keeps delivering; reads keep answering throughout."""

import asyncio
import random
import uuid

from tests.integration.conftest import context, register
from tests.support.readmodel import rebuild_all, snapshot, someone, ticket_read_model
from tickets.application.commands import AddComment, CreateTicket, SubmitTicket
from tickets.application.errors import ApplicationError
from tickets.application.queries import ListTickets
from tickets.bootstrap import Runtime, running_worker
from tickets.domain.errors import DomainError
from tickets.domain.users import Role
from tickets.infrastructure.outbox.drain import drain


async def commands(runtime: Runtime, done: asyncio.Event, tickets: list[uuid.UUID]) -> int:
    author = await register(runtime)
    count = 0
    while not done.is_set():
        try:
            if not tickets or random.random() < 0.4:
                outcome = await runtime.bus.handle(CreateTicket(actor=author, title="r"), context())
                tickets.append(outcome.result.id)
            elif random.random() < 0.5:
                body = AddComment(actor=author, ticket_id=random.choice(tickets), body="b")
                await runtime.bus.handle(body, context())
            else:
                submit = SubmitTicket(actor=author, ticket_id=random.choice(tickets))
                await runtime.bus.handle(submit, context())
        except (DomainError, ApplicationError):
            pass  # e.g. submitting twice, or another author's ticket: refused, as it should be
        count += 1
        await asyncio.sleep(0)
    return count


async def reads(runtime: Runtime, done: asyncio.Event) -> int:
    """Keep querying the live tables; every query must answer."""
    read_model = ticket_read_model(runtime)
    query = ListTickets(someone(Role.APPROVER), limit=5)
    answered = 0
    while not done.is_set():
        await read_model.page(query)
        answered += 1
        await asyncio.sleep(0.005)
    return answered


async def test_rebuild_while_commands_arrive_equals_a_fresh_replay(runtime: Runtime) -> None:
    tickets: list[uuid.UUID] = []
    seed_done = asyncio.Event()
    seeding = asyncio.create_task(commands(runtime, seed_done, tickets))
    await asyncio.sleep(1.0)
    seed_done.set()
    await seeding
    await drain(runtime.dispatcher)
    before = len(tickets)

    done = asyncio.Event()
    async with running_worker(runtime):
        writer = asyncio.create_task(commands(runtime, done, tickets))
        reader = asyncio.create_task(reads(runtime, done))
        await rebuild_all(runtime)
        await rebuild_all(runtime)  # a second rebuild, still under load
        done.set()
        assert await writer > 0
        assert await reader > 0
    await drain(runtime.dispatcher)
    assert len(tickets) > before, "commands arrived during the rebuilds"
    live = await snapshot(runtime)

    await rebuild_all(runtime)
    assert await snapshot(runtime) == live
    assert len(live["ticket_list"]) == len(tickets)


async def test_rebuild_skips_what_live_delivery_has_not_applied(runtime: Runtime) -> None:
    """A ticket parked as dead for the read model keeps its live state through a rebuild."""
    author = await register(runtime)
    approver = await register(runtime, Role.APPROVER)
    created = await runtime.bus.handle(CreateTicket(actor=author, title="x"), context())
    ticket = created.result.id
    await drain(runtime.dispatcher)
    await runtime.bus.handle(SubmitTicket(actor=author, ticket_id=ticket), context())
    await runtime.bus.handle(AddComment(actor=approver, ticket_id=ticket, body="c"), context())
    v2 = await runtime.pools.write.fetchval(
        "SELECT id FROM tickets.outbox_messages WHERE aggregate_id = $1 AND aggregate_version = 2",
        ticket,
    )
    await runtime.pools.read.execute(
        "INSERT INTO read.subscription_parked (subscription, aggregate_id, from_version,"
        " message_id, status, attempts) VALUES ('read_model', $1, 2, $2, 'dead', 3)",
        ticket,
        v2,
    )
    await drain(runtime.dispatcher)  # version 2 on wait for the read model only
    live = await snapshot(runtime)

    await rebuild_all(runtime)

    assert await snapshot(runtime) == live
    row = [r for r in live["ticket_list"] if r["ticket_id"] == ticket]
    assert row[0]["version"] == 1
