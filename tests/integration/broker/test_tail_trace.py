"""`events tail` shows the trace each message continues: the id in its traceparent."""

import asyncio
from collections.abc import AsyncIterator

from tests.faults.waiting import eventually
from tests.integration.conftest import context, register
from tests.support.tracing import traced
from tickets.application.command_handlers import ClockAndIds
from tickets.application.commands import CreateTicket
from tickets.application.messagebus import MessageBus
from tickets.bootstrap import Runtime
from tickets.cli.events import _print_all, out
from tickets.infrastructure.broker.consumer import Received, tail
from tickets.infrastructure.clock_and_ids import RandomIds, SystemClock
from tickets.infrastructure.outbox.drain import drain
from tickets.tracing.commands import tracing_behaviour


async def test_a_tailed_message_names_the_trace_of_its_command(
    broker_runtime: Runtime, broker_url: str, exchange: str
) -> None:
    shown: list[Received] = []

    async def follow() -> None:
        async for received in tail(broker_url, exchange, "ticket.created.*"):
            shown.append(received)

    with traced() as spans:
        bus = MessageBus(
            broker_runtime.uow_factory,
            ClockAndIds(SystemClock(), RandomIds()),
            [tracing_behaviour()],
        )
        author = await register(broker_runtime)
        task = asyncio.create_task(follow())
        try:
            # The tail's queue is bound a moment after the task starts: repeat until seen.
            async def seen() -> bool:
                await bus.handle(CreateTicket(actor=author, title="traced"), context())
                await drain(broker_runtime.dispatcher)
                return bool(shown)

            await eventually(seen, within=10, every=0.1)
        finally:
            task.cancel()
        commands = {format(s.context.trace_id, "032x") for s in spans.named("command")}
    assert shown[0].trace_id in commands

    async def stream() -> AsyncIterator[Received]:  # what `tickets events tail` prints for it
        yield shown[0]

    with out.capture() as printed:
        await _print_all(stream(), raw=False)
    assert f"trace {shown[0].trace_id}" in printed.get()
