"""The trace context travels with the event through the outbox: a worker that claims it
later, or after another worker died holding it, continues the command's trace."""

import uuid
from collections.abc import Iterator

import pytest

from tests.faults.conftest import dispatcher_for
from tests.faults.recording_handlers import Failing, Recorder
from tests.integration.conftest import context, register
from tests.support.tracing import Spans, traced
from tickets.application.commands import CreateTicket, SubmitTicket
from tickets.application.errors import ApplicationError
from tickets.application.messagebus import MessageBus
from tickets.application.ports import ClockAndIds
from tickets.bootstrap import Runtime
from tickets.infrastructure.clock_and_ids import RandomIds, SystemClock
from tickets.infrastructure.outbox.drain import drain
from tickets.infrastructure.outbox.event_log import EventLog
from tickets.infrastructure.outbox.progress import Progress
from tickets.readmodel.catalog import REBUILDABLE
from tickets.readmodel.rebuild import rebuild
from tickets.tracing.commands import tracing_behaviour


@pytest.fixture
def spans() -> Iterator[Spans]:
    with traced() as recorded:
        yield recorded


async def create_traced(runtime: Runtime) -> uuid.UUID:
    bus = MessageBus(
        runtime.uow_factory, ClockAndIds(SystemClock(), RandomIds()), [tracing_behaviour()]
    )
    author = await register(runtime)
    outcome = await bus.handle(
        CreateTicket(title="traced", description="", actor=author), context()
    )
    return outcome.result.id


async def test_the_event_row_carries_the_command_span(runtime: Runtime, spans: Spans) -> None:
    ticket_id = await create_traced(runtime)
    [command] = spans.named("command CreateTicket")
    [write] = [s for s in spans.named("commit") if s.context.trace_id == command.context.trace_id]
    metadata = await runtime.pools.write.fetchval(
        "SELECT metadata FROM tickets.outbox_messages WHERE aggregate_id = $1", ticket_id
    )
    trace_id, span_id = (
        format(command.context.trace_id, "032x"),
        format(command.context.span_id, "016x"),
    )
    assert metadata["traceparent"].startswith(f"00-{trace_id}-{span_id}-")
    assert command.attributes["tickets.ticket.id"] == str(ticket_id)
    assert command.attributes["tickets.ticket.version"] == 1
    assert write.parent is not None
    assert write.parent.span_id == command.context.span_id
    assert write.attributes["db.system.name"] == "postgresql"


async def test_a_crashed_workers_event_is_delivered_in_the_original_trace(
    runtime: Runtime, spans: Spans
) -> None:
    ticket_id = await create_traced(runtime)
    [command] = spans.named("command CreateTicket")
    dispatcher = dispatcher_for(runtime, Recorder())
    # The first worker leases the lanes, claims the event and dies before delivering it:
    # its lease expires, and another worker takes the lanes over.
    await dispatcher.store.sequence()
    async with runtime.pools.write.acquire() as connection:
        lanes = await Progress("tickets").lease(connection, "recorder", "crashed-worker", 0.2)
    claimed = await dispatcher.store.claim(lanes, 10)
    assert [m.aggregate_id for m in claimed] == [ticket_id]

    await drain(dispatcher, worker="other-worker")  # waits for the expired lease
    batch = claimed
    [delivery] = spans.named("process recorder")
    assert delivery.context.trace_id == command.context.trace_id
    assert delivery.parent is not None
    assert delivery.parent.span_id == command.context.span_id
    assert delivery.attributes["messaging.consumer.group.name"] == "recorder"
    assert delivery.attributes["messaging.message.id"] == str(batch[0].id)
    assert delivery.attributes["tickets.delivery.outcome"] == "delivered"
    assert delivery.attributes["tickets.delivery.attempt"] == 1
    assert delivery.attributes["tickets.delivery.lag_seconds"] >= 0.2


async def test_retries_and_the_dead_letter_show_on_the_delivery_spans(
    runtime: Runtime, spans: Spans
) -> None:
    ticket_id = await create_traced(runtime)
    failing = Failing("failing", poisoned=lambda event: event.ticket_id == ticket_id)
    await drain(dispatcher_for(runtime, failing))

    deliveries = spans.named("process failing")
    assert [d.attributes["tickets.delivery.attempt"] for d in deliveries] == [1, 2, 3]
    assert all(d.status.status_code.name == "ERROR" for d in deliveries)
    assert all(any(e.name == "exception" for e in d.events) for d in deliveries)
    fates = [[e.name for e in d.events if e.name != "exception"] for d in deliveries]
    assert fates == [["retry scheduled"], ["retry scheduled"], ["dead lettered"]]
    [command] = spans.named("command CreateTicket")
    assert {d.context.trace_id for d in deliveries} == {command.context.trace_id}


async def test_untraced_events_get_no_delivery_spans(runtime: Runtime, spans: Spans) -> None:
    author = await register(runtime)
    await runtime.bus.handle(CreateTicket(title="plain", description="", actor=author), context())
    await drain(dispatcher_for(runtime, Recorder()))
    assert spans.named("process") == []


async def test_a_rebuild_is_one_span_with_progress_events(runtime: Runtime, spans: Spans) -> None:
    await create_traced(runtime)
    await drain(runtime.dispatcher)
    applied = await rebuild(
        REBUILDABLE["ticket_list"], runtime.pools.read, EventLog(runtime.pools.write)
    )
    [span] = spans.named("rebuild ticket_list")
    assert span.attributes["tickets.projection"] == "ticket_list"
    names = [e.name for e in span.events]
    assert names[0] == "replay started"
    assert "replayed" in names
    assert names[-1] == "tables swapped in"
    assert span.events[-1].attributes["tickets.rebuild.applied"] == applied


async def test_a_refused_command_is_an_outcome_not_an_error(runtime: Runtime, spans: Spans) -> None:
    bus = MessageBus(
        runtime.uow_factory, ClockAndIds(SystemClock(), RandomIds()), [tracing_behaviour()]
    )
    author = await register(runtime)
    with pytest.raises(ApplicationError):  # no such ticket: a 404
        await bus.handle(SubmitTicket(actor=author, ticket_id=uuid.uuid4()), context())
    [command] = spans.named("command SubmitTicket")
    assert command.attributes["tickets.command.outcome"] == "ticket.not_found"
    assert command.status.status_code.name == "UNSET"
