"""Guarantee 2: delivery is at-least-once, the effect exactly once."""

import asyncio
import uuid

import pytest

from tests.faults.conftest import dispatcher_for, effects
from tests.faults.recording_handlers import Failing, Recorder
from tests.integration.conftest import context, register
from tests.support.progress import delivered
from tickets.application.errors import IdempotencyRace
from tickets.application.ports import IdempotencyRequest
from tickets.application.results import TicketResult
from tickets.bootstrap import Runtime
from tickets.domain.ticket import Ticket
from tickets.infrastructure.clock_and_ids import SystemClock
from tickets.infrastructure.outbox.drain import drain
from tickets.infrastructure.outbox.progress import LeaseLost, Progress
from tickets.testing.synthetic_events import insert_events, ticket_events


async def test_rolled_back_command_delivers_nothing(runtime: Runtime) -> None:
    """The ticket and outbox rows were inserted, then the idempotency key was found
    taken: the statement is undone, and the outbox has nothing to deliver."""
    author = await register(runtime)
    await runtime.pools.write.execute(
        "INSERT INTO tickets.idempotency_keys (scope, key, fingerprint, response) "
        "VALUES ('scope', 'taken-for-redelivery', 'other', '{}')"
    )
    ticket = Ticket.create(uuid.uuid4(), author, "never", "", SystemClock().now())

    with pytest.raises(IdempotencyRace):  # noqa: PT012 - the failure happens inside the UoW
        async with runtime.uow_factory(context()) as uow:
            uow.tickets.add(ticket)
            request = IdempotencyRequest("taken-for-redelivery", "mine")
            uow.idempotency.remember("scope", request, TicketResult.of(ticket))
            await uow.commit()

    recorder = Recorder()
    assert await drain(dispatcher_for(runtime, recorder)) == 0
    assert await effects(runtime.pools.write, "recorder") == []


async def test_a_message_delivered_three_times_has_its_effect_once(runtime: Runtime) -> None:
    ticket_id = uuid.uuid4()
    await insert_events(runtime.pools.write, ticket_events(ticket_id, 1))
    dispatcher = dispatcher_for(runtime, Recorder())
    [subscription] = dispatcher.subscriptions
    await dispatcher.store.sequence()
    async with runtime.pools.write.acquire() as connection:
        lanes = await Progress("tickets").lease(connection, "recorder", "w", 30.0)
    assert len(await dispatcher.store.claim(lanes, 10)) == 1

    await dispatcher.deliver(subscription, dict(lanes), "w", 10)
    # The same page again (a worker that did not see its commit), then twice at once:
    # the fenced advance finds the lane moved, and nothing is applied.
    again = [dispatcher.deliver(subscription, dict(lanes), "w", 10) for _ in range(3)]
    outcomes = await asyncio.gather(*again, return_exceptions=True)
    assert all(isinstance(o, LeaseLost) for o in outcomes)

    assert await effects(runtime.pools.write, "recorder") == [(ticket_id, 1)]


async def test_handler_failing_twice_then_succeeding_is_applied_once(runtime: Runtime) -> None:
    ticket_id = uuid.uuid4()
    await insert_events(runtime.pools.write, ticket_events(ticket_id, 1))
    # Three failures: the page's (retried at once ticket by ticket, uncharged), then
    # two charged attempts; the third attempt succeeds.
    flaky = Failing("flaky", poisoned=lambda e: True, times=3)
    steady = Recorder("steady")

    await drain(dispatcher_for(runtime, steady, flaky))

    assert await effects(runtime.pools.write, "flaky") == [(ticket_id, 1)]
    assert await effects(runtime.pools.write, "steady") == [(ticket_id, 1)], "no rerun of a success"
    ids = [
        r["id"]
        for r in await runtime.pools.write.fetch(
            "SELECT id FROM tickets.outbox_messages WHERE aggregate_id = $1", ticket_id
        )
    ]
    assert await delivered(runtime.pools.write, "flaky", ids) == 1, "unparked, its lane past it"
    errors = await runtime.pools.write.fetch(
        "SELECT a.attempt, a.handler, a.error FROM tickets.outbox_attempts a "
        "JOIN tickets.outbox_messages m ON m.id = a.message_id WHERE m.aggregate_id = $1 "
        "ORDER BY a.id",
        ticket_id,
    )
    assert [(e["attempt"], e["handler"]) for e in errors] == [(1, "flaky"), (2, "flaky")]
    assert all("poison" in e["error"] for e in errors)
