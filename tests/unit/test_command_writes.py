"""One command's write statement: every parameter it numbers gets the value of the
column it names."""

import json
import re
from uuid import uuid4

from tests.unit.builders import T0, draft, requester
from tickets.application.ports import MessageContext
from tickets.domain.ticket import Ticket
from tickets.infrastructure.command_writes import (
    CHANGED,
    COMMENT,
    GUARD,
    NEW_TICKET,
    OUTBOX,
    RECORD,
    Columns,
    statement,
)
from tickets.infrastructure.ticket_changes import IdempotencyRecord, TicketChange

ALICE = requester("alice")
CONTEXT = MessageContext(correlation_id="writes")


def numbered(sql: str) -> int:
    return max(int(n) for n in re.findall(r"\$(\d+)", sql))


def value_of(params: list[object], columns: Columns, name: str) -> object:
    return params[columns.first + columns.names.index(name) - 1]


def test_a_new_ticket_with_a_record_fills_every_parameter_by_name() -> None:
    ticket = Ticket.create(uuid4(), ALICE, "Laptop", "fast", T0)
    events = ticket.pull_events()
    record = IdempotencyRecord("scope", "key", "fp", {"id": "x"})
    sql, *params = statement(TicketChange(ticket, None, [], events), CONTEXT, record)
    assert len(params) == numbered(str(sql)) == NEW_TICKET.after - 1 == 26
    for name in NEW_TICKET.names:
        assert value_of(params, NEW_TICKET, name) == getattr(ticket, name)
    assert [value_of(params, COMMENT, n) for n in COMMENT.names] == [None] * 6
    assert value_of(params, OUTBOX, "aggregate_id") == ticket.id
    assert value_of(params, OUTBOX, "event_type") == "ticket.created.v1"
    assert json.loads(str(value_of(params, OUTBOX, "payload")))["title"] == "Laptop"
    assert value_of(params, RECORD, "key") == "key"
    assert json.loads(str(value_of(params, RECORD, "response"))) == {"id": "x"}


def test_a_changed_ticket_with_a_comment_fills_every_parameter_by_name() -> None:
    ticket = draft(ALICE)
    loaded = ticket.version
    comment = ticket.add_comment(ALICE, uuid4(), "hello", T0)
    sql, *params = statement(
        TicketChange(ticket, loaded, [comment], ticket.pull_events()), CONTEXT, None
    )
    assert len(params) == numbered(str(sql)) == CHANGED.after - 1 == 24
    assert value_of(params, GUARD, "id") == ticket.id
    assert value_of(params, GUARD, "loaded_version") == loaded
    for name in CHANGED.names:
        assert value_of(params, CHANGED, name) == getattr(ticket, name)
    for name in COMMENT.names:
        assert value_of(params, COMMENT, name) == getattr(comment, name)
    assert [value_of(params, RECORD, n) for n in RECORD.names] == [None] * 4
