"""Every committed event reaches the broker once confirmed, with its envelope, in order."""

import uuid

import jsonschema_rs

from tests.faults.waiting import eventually
from tests.integration.conftest import context, register
from tests.support.asyncapi import message_schemas
from tests.support.broker import Consumer
from tests.support.old_events import downgrade_rejections_to_v1
from tests.support.progress import delivered
from tickets.application.commands import (
    AddComment,
    CreateTicket,
    RejectTicket,
    SubmitTicket,
)
from tickets.application.ports import MessageContext
from tickets.application.results import TicketResult
from tickets.bootstrap import Runtime
from tickets.domain.rejection import RejectionCode
from tickets.domain.users import Role
from tickets.infrastructure.outbox.drain import drain


async def lifecycle(runtime: Runtime, correlation: str) -> uuid.UUID:
    author = await register(runtime)
    approver = await register(runtime, Role.APPROVER)
    ctx = MessageContext(correlation_id=correlation)
    created = (await runtime.bus.handle(CreateTicket(actor=author, title="Laptop"), ctx)).result
    assert isinstance(created, TicketResult)
    ticket = created.id
    for command in (
        SubmitTicket(actor=author, ticket_id=ticket),
        RejectTicket(
            actor=approver, ticket_id=ticket, reason="too dear", reason_code=RejectionCode.BUDGET
        ),
        AddComment(actor=author, ticket_id=ticket, body="fair"),
    ):
        await runtime.bus.handle(command, ctx)
    return ticket


async def test_every_committed_event_is_published_with_its_envelope(
    broker_runtime: Runtime, consumer: Consumer
) -> None:
    ticket = await lifecycle(broker_runtime, "corr-broker-1")
    await drain(broker_runtime.dispatcher)
    outbox = await broker_runtime.pools.write.fetch(
        "SELECT id, event_type, aggregate_version FROM tickets.outbox_messages"
        " WHERE aggregate_id = $1 ORDER BY aggregate_version",
        ticket,
    )
    assert len(outbox) == 4

    await eventually(lambda: _at_least(consumer, len(outbox)), within=10)
    raw = [m for m in consumer.messages if m.headers.get("ticket_id") == str(ticket)]
    assert [m.routing_key for m in raw] == [
        "ticket.created.v2",
        "ticket.submitted.v1",
        "ticket.rejected.v3",
        "comment.added.v2",
    ]
    got = [m for m in consumer.first_seen() if m.headers.get("ticket_id") == str(ticket)]
    assert [m.message_id for m in got] == [str(r["id"]) for r in outbox]  # each once, in order
    schemas = message_schemas()
    for m in raw:
        row = next(r for r in outbox if str(r["id"]) == m.message_id)
        assert m.properties["content_type"] == "application/json"
        assert m.properties["delivery_mode"] == 2  # persistent
        assert m.properties["correlation_id"] == "corr-broker-1"
        assert m.properties["type"] == m.routing_key
        assert m.headers["ticket_version"] == row["aggregate_version"]
        assert m.headers["correlation_id"] == "corr-broker-1"
        jsonschema_rs.validate(schemas[m.routing_key], m.body)  # the documented schema
        assert m.body["event_id"] == m.message_id
    assert raw[0].body["data"] == {}  # the draft's title stays behind HTTP
    assert raw[2].body["data"] == {"reason_code": "budget"}  # the code, not the reason
    assert list(raw[3].body["data"]) == ["comment_id"]  # the id, not the body
    passed = await delivered(broker_runtime.pools.write, "broker", [r["id"] for r in outbox])
    assert passed == 4  # "delivered" for the broker: confirmed, then its lane moved past


async def test_a_delivered_message_is_not_published_again(
    broker_runtime: Runtime, consumer: Consumer
) -> None:
    author = await register(broker_runtime)
    ticket = await broker_runtime.bus.handle(CreateTicket(actor=author, title="x"), context())
    await drain(broker_runtime.dispatcher)
    await drain(broker_runtime.dispatcher)  # a new round starts after the lane's position
    await eventually(lambda: _at_least(consumer, 1), within=10)
    # Publish a marker after it: once it arrived, any duplicate would have arrived too.
    marker = await lifecycle(broker_runtime, "marker")
    await drain(broker_runtime.dispatcher)
    await eventually(
        lambda: _has(consumer, lambda m: m.headers.get("ticket_id") == str(marker)), within=10
    )
    assert isinstance(ticket.result, TicketResult)
    copies = [m for m in consumer.messages if m.headers["ticket_id"] == str(ticket.result.id)]
    assert len(copies) == 1


async def _at_least(consumer: Consumer, n: int) -> bool:
    return len(consumer.messages) >= n


async def _has(consumer: Consumer, predicate: object) -> bool:
    assert callable(predicate)
    return any(predicate(m) for m in consumer.messages)


async def test_an_old_v1_row_is_published_upcast_as_the_current_message(
    broker_runtime: Runtime, consumer: Consumer
) -> None:
    ticket = await lifecycle(broker_runtime, "old-row")
    assert await downgrade_rejections_to_v1(broker_runtime.pools.write, ticket) == 1
    await drain(broker_runtime.dispatcher)
    await eventually(lambda: _at_least(consumer, 4), within=10)
    rejections = {
        m.routing_key: m.body["data"] for m in consumer.messages if "rejected" in m.routing_key
    }
    assert rejections == {"ticket.rejected.v3": {"reason_code": "unspecified"}}
