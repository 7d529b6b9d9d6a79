"""What reaches the broker is the public contract only: no draft's title or description,
no comment body, no rejection reason, whichever step of the lifecycle wrote them."""

import json
import uuid

import jsonschema_rs
import pytest

from tests.faults.waiting import eventually
from tests.integration.conftest import register
from tests.support.asyncapi import message_schemas
from tests.support.broker import Consumer, Received
from tests.support.progress import delivered, ids_of
from tickets.application.commands import (
    AddComment,
    ApproveTicket,
    Command,
    CreateTicket,
    EditTicket,
    RejectTicket,
    ReopenTicket,
    SubmitTicket,
)
from tickets.application.ports import MessageContext
from tickets.application.results import Result, TicketResult
from tickets.bootstrap import Runtime
from tickets.domain.events import TicketEdited
from tickets.domain.rejection import RejectionCode
from tickets.domain.users import Role
from tickets.infrastructure.broker.integration import PUBLISHED
from tickets.infrastructure.outbox.drain import drain


def _secret(what: str) -> str:
    return f"private-{what}-{uuid.uuid4().hex[:8]}"


async def test_a_lifecycle_puts_no_users_text_on_the_broker(
    broker_runtime: Runtime, consumer: Consumer
) -> None:
    author = await register(broker_runtime)
    approver = await register(broker_runtime, Role.APPROVER)
    ctx = MessageContext(correlation_id="contract")
    texts = {what: _secret(what) for what in ("title", "description", "edited", "revised")}
    texts |= {what: _secret(what) for what in ("draft-note", "reason", "reply", "final-note")}
    created = await broker_runtime.bus.handle(
        CreateTicket(actor=author, title=texts["title"], description=texts["description"]), ctx
    )
    assert isinstance(created.result, TicketResult)
    ticket = created.result.id
    steps: list[Command[Result]] = [
        EditTicket(actor=author, ticket_id=ticket, title=texts["edited"]),
        AddComment(actor=author, ticket_id=ticket, body=texts["draft-note"]),
        SubmitTicket(actor=author, ticket_id=ticket),
        RejectTicket(
            actor=approver,
            ticket_id=ticket,
            reason=texts["reason"],
            reason_code=RejectionCode.INCOMPLETE,
        ),
        AddComment(actor=author, ticket_id=ticket, body=texts["reply"]),
        ReopenTicket(actor=author, ticket_id=ticket),
        EditTicket(actor=author, ticket_id=ticket, description=texts["revised"]),
        SubmitTicket(actor=author, ticket_id=ticket),
        ApproveTicket(actor=approver, ticket_id=ticket),
        AddComment(actor=approver, ticket_id=ticket, body=texts["final-note"]),
    ]
    for command in steps:
        await broker_runtime.bus.handle(command, ctx)
    await drain(broker_runtime.dispatcher)
    versions = len(steps) + 1

    async def all_arrived() -> bool:
        return len(_of(consumer.messages, ticket)) >= versions

    await eventually(all_arrived, within=10)
    got = _of(consumer.first_seen(), ticket)
    assert [(m.routing_key, m.body["ticket_version"]) for m in got] == list(
        zip(
            [
                "ticket.created.v2",
                "ticket.edited.v2",
                "comment.added.v2",
                "ticket.submitted.v1",
                "ticket.rejected.v3",
                "comment.added.v2",
                "ticket.reopened.v1",
                "ticket.edited.v2",
                "ticket.submitted.v1",
                "ticket.approved.v1",
                "comment.added.v2",
            ],
            range(1, versions + 1),
            strict=True,
        )
    )  # every event, drafts' too, so each ticket's versions arrive without gaps
    schemas = message_schemas()
    for m in _of(consumer.messages, ticket):
        sent = json.dumps([m.body, m.headers, m.properties])
        leaked = [what for what, text in texts.items() if text in sent]
        assert not leaked, (m.routing_key, leaked)
        jsonschema_rs.validate(schemas[m.routing_key], m.body)
    assert got[4].body["data"] == {"reason_code": "incomplete"}  # a closed code, kept


async def test_an_event_published_as_no_message_still_advances_delivery(
    broker_runtime: Runtime, consumer: Consumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mapping may leave an event out: the broker's lane moves past it all the same,
    so the ticket's later events are not held behind it."""
    monkeypatch.setitem(PUBLISHED, TicketEdited, ())
    author = await register(broker_runtime)
    ctx = MessageContext(correlation_id="left-out")
    created = await broker_runtime.bus.handle(CreateTicket(actor=author, title="t"), ctx)
    assert isinstance(created.result, TicketResult)
    ticket = created.result.id
    await broker_runtime.bus.handle(EditTicket(actor=author, ticket_id=ticket, title="u"), ctx)
    await broker_runtime.bus.handle(SubmitTicket(actor=author, ticket_id=ticket), ctx)
    await drain(broker_runtime.dispatcher)

    async def submitted_arrived() -> bool:
        return any(m.routing_key == "ticket.submitted.v1" for m in consumer.messages)

    await eventually(submitted_arrived, within=10)
    assert [m.body["ticket_version"] for m in _of(consumer.messages, ticket)] == [1, 3]
    ids = await ids_of(broker_runtime.pools.write, ticket)
    assert await delivered(broker_runtime.pools.write, "broker", ids) == 3


def _of(messages: list[Received], ticket: uuid.UUID) -> list[Received]:
    return [m for m in messages if m.body["ticket_id"] == str(ticket)]
