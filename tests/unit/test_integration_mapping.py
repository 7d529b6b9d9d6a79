"""The integration mapping publishes identifiers, actors, versions and codes, never the
text users wrote (titles, descriptions, comment bodies, rejection reasons)."""

import dataclasses
import json
import uuid
from typing import Any, get_type_hints

import pytest

from tests.unit.builders import T0, approver, draft, requester
from tickets.domain.events import DomainEvent
from tickets.domain.rejection import RejectionCode
from tickets.domain.ticket import Ticket
from tickets.infrastructure.broker.integration import (
    PUBLISHED,
    IntegrationMessage,
    integration_messages,
    published_types,
)

# The versions that carried users' text; a later contract must not bring them back.
WITHDRAWN = {
    "ticket.created.v1",
    "ticket.edited.v1",
    "ticket.rejected.v1",
    "ticket.rejected.v2",
    "comment.added.v1",
}


def _marked(cls: type[DomainEvent]) -> tuple[DomainEvent, set[str]]:
    """An instance whose every free-text field holds a unique marker, and the markers.

    Found from the type hints, so an event that gains a text field later is covered."""
    values: dict[str, Any] = {
        "ticket_id": uuid.uuid4(),
        "version": 3,
        "actor_id": uuid.uuid4(),
        "actor_name": "alice",
        "occurred_at": T0,
    }
    markers: set[str] = set()
    for f in dataclasses.fields(cls):
        hint = get_type_hints(cls)[f.name]
        if f.name in values or f.default is not dataclasses.MISSING:
            continue
        if hint is uuid.UUID:
            values[f.name] = uuid.uuid4()
        elif hint is str:
            values[f.name] = f"secret-{f.name}-{uuid.uuid4().hex[:8]}"
            markers.add(values[f.name])
        else:
            raise AssertionError(f"{cls.__name__}.{f.name}: teach this test the type {hint}")
    return cls(**values), markers


def _published(event: DomainEvent) -> list[IntegrationMessage]:
    return integration_messages(uuid.uuid4(), "corr-1", event)


@pytest.mark.parametrize("cls", sorted(PUBLISHED, key=lambda c: c.event_type))
def test_no_free_text_of_an_event_reaches_a_message(cls: type[DomainEvent]) -> None:
    event, markers = _marked(cls)
    for message in _published(event):
        sent = message.body + json.dumps(message.headers).encode()
        for marker in markers:
            assert marker.encode() not in sent, (message.routing_key, marker)


def test_a_draft_is_announced_by_identifiers_only() -> None:
    author = requester()
    ticket = Ticket.create(uuid.uuid4(), author, "Secret merger", "Acquire ACME", T0)
    ticket.edit(author, "Secret merger v2", "Acquire ACME at 3x", T0)
    bodies = [json.loads(m.body) for e in ticket.pull_events() for m in _published(e)]
    assert [(b["event_type"], b["ticket_version"], b["data"]) for b in bodies] == [
        ("ticket.created.v2", 1, {}),
        ("ticket.edited.v2", 2, {}),
    ]
    assert all(b["ticket_id"] == str(ticket.id) for b in bodies)
    assert all(b["actor"] == {"id": str(author.id), "name": author.name} for b in bodies)


def test_a_rejection_carries_its_code_and_a_comment_its_id_not_their_text() -> None:
    author, decider = requester(), approver()
    ticket = draft(author)
    ticket.submit(author, T0)
    ticket.reject(decider, "the budget is spent", T0, RejectionCode.BUDGET)
    comment = ticket.add_comment(author, uuid.uuid4(), "my private note", T0)
    events = ticket.pull_events()
    sent = {m.routing_key: json.loads(m.body)["data"] for e in events for m in _published(e)}
    assert sent == {
        "ticket.submitted.v1": {},
        "ticket.rejected.v3": {"reason_code": "budget"},
        "comment.added.v2": {"comment_id": str(comment.id)},
    }


def test_no_withdrawn_version_is_published() -> None:
    assert not WITHDRAWN & set(published_types())
