"""Guarantee 2: delivery is at-least-once, the effect exactly once."""

import asyncio
import uuid

import pytest

from tests.faults.conftest import dispatcher_for, effects
from tests.faults.handlers import Failing, Recorder
from tests.integration.conftest import context, register
from tickets.bench.fill import insert_events, ticket_events
from tickets.bootstrap import Runtime
from tickets.domain.ticket import Ticket
from tickets.infrastructure.outbox.drain import drain
from tickets.infrastructure.system import SystemClock


async def test_rolled_back_command_delivers_nothing(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tickets, so the unit of work writes inside BEGIN … COMMIT (one ticket is one
    statement, with no point between its writes and its commit to crash at)."""
    author = await register(runtime)
    now = SystemClock().now()
    uow = runtime.uow_factory(context())

    async def crash() -> None:
        raise RuntimeError("crash before COMMIT")

    with pytest.raises(RuntimeError):  # noqa: PT012 - the failure happens inside the UoW
        async with uow:
            for _ in range(2):
                uow.tickets.add(Ticket.create(uuid.uuid4(), author, "never", "", now))
            monkeypatch.setattr(uow.idempotency, "flush", crash)
            await uow.commit()

    recorder = Recorder()
    assert await drain(dispatcher_for(runtime, recorder)) == 0
    assert await effects(runtime.pool, "recorder") == []


async def test_a_message_delivered_three_times_has_its_effect_once(runtime: Runtime) -> None:
    ticket_id = uuid.uuid4()
    await insert_events(runtime.pool, ticket_events(ticket_id, 1))
    dispatcher = dispatcher_for(runtime, Recorder())
    batch = await dispatcher.store.claim("w", 10, 30)
    assert len(batch) == 1

    await dispatcher.process(batch, "w")
    await dispatcher.process(batch, "w")  # redelivery after a crash before "processed"
    await asyncio.gather(dispatcher.process(batch, "w"), dispatcher.process(batch, "w"))

    assert await effects(runtime.pool, "recorder") == [(ticket_id, 1)]


async def test_handler_failing_twice_then_succeeding_is_applied_once(runtime: Runtime) -> None:
    ticket_id = uuid.uuid4()
    await insert_events(runtime.pool, ticket_events(ticket_id, 1))
    flaky = Failing("flaky", poisoned=lambda e: True, times=2)
    steady = Recorder("steady")

    await drain(dispatcher_for(runtime, steady, flaky))

    assert await effects(runtime.pool, "flaky") == [(ticket_id, 1)]
    assert await effects(runtime.pool, "steady") == [(ticket_id, 1)], "no rerun of a success"
    row = await runtime.pool.fetchrow(
        "SELECT status, attempts FROM tickets.outbox_messages WHERE aggregate_id = $1", ticket_id
    )
    assert dict(row) == {"status": "processed", "attempts": 3}
    errors = await runtime.pool.fetch(
        "SELECT a.attempt, a.handler, a.error FROM tickets.outbox_attempts a "
        "JOIN tickets.outbox_messages m ON m.id = a.message_id WHERE m.aggregate_id = $1 "
        "ORDER BY a.id",
        ticket_id,
    )
    assert [(e["attempt"], e["handler"]) for e in errors] == [(1, "flaky"), (2, "flaky")]
    assert all("poison" in e["error"] for e in errors)
