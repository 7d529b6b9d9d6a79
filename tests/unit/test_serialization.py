"""Events to and from outbox payloads, and command results to and from stored JSON."""

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest

from tickets.application.results import (
    BatchResult,
    CommentResult,
    Result,
    TicketResult,
    UserResult,
)
from tickets.domain.events import (
    EVENT_TYPES,
    CommentAdded,
    DomainEvent,
    TicketApproved,
    TicketCreated,
    TicketEdited,
    TicketRejected,
    TicketReopened,
    TicketSubmitted,
)
from tickets.domain.rejection import RejectionCode
from tickets.domain.status import TicketStatus
from tickets.domain.users import Role
from tickets.infrastructure.serialization import event_from_payload, event_to_payload
from tickets.infrastructure.stored_results import result_from_json, result_to_json

WHEN = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
PLUS_TWO = datetime(2026, 3, 4, 7, 6, 7, 1, tzinfo=timezone(timedelta(hours=2)))


def common(when: datetime = WHEN) -> dict[str, Any]:
    return {
        "ticket_id": uuid4(),
        "version": 7,
        "actor_id": uuid4(),
        "actor_name": 'Zoë "quotes" O\'Brien',
        "occurred_at": when,
    }


SAMPLES: list[DomainEvent] = [
    TicketCreated(**common(), title="Laptop ✓", description="line 1\nline 2"),
    TicketEdited(**common(PLUS_TWO), title="", description=""),
    TicketSubmitted(**common()),
    TicketApproved(**common(PLUS_TWO)),
    TicketRejected(**common(), reason="too expensive", reason_code=RejectionCode.BUDGET),
    TicketReopened(**common()),
    CommentAdded(**common(), comment_id=uuid4(), body="👍 <b>ok</b>"),
]


def test_there_is_a_sample_for_every_event_type() -> None:
    assert sorted(type(e).event_type for e in SAMPLES) == sorted(EVENT_TYPES)
    assert all(EVENT_TYPES[cls.event_type] is cls for cls in EVENT_TYPES.values())


def test_event_type_names_are_versioned_and_unique() -> None:
    assert len(EVENT_TYPES) == 7
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+\.v[1-9][0-9]*", name) for name in EVENT_TYPES)


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).event_type)
def test_event_round_trips_through_a_json_payload(event: DomainEvent) -> None:
    payload = event_to_payload(event)
    text = json.dumps(payload)
    restored = event_from_payload(type(event).event_type, json.loads(text))
    assert type(restored) is type(event)
    assert restored == event
    assert restored.occurred_at.utcoffset() == event.occurred_at.utcoffset()


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).event_type)
def test_payload_holds_plain_values(event: DomainEvent) -> None:
    payload = event_to_payload(event)
    assert payload["ticket_id"] == str(event.ticket_id)
    assert payload["actor_id"] == str(event.actor_id)
    assert payload["version"] == event.version
    assert datetime.fromisoformat(payload["occurred_at"]) == event.occurred_at
    assert "event_type" not in payload


def test_unknown_event_type_is_refused() -> None:
    payload = event_to_payload(SAMPLES[2])
    with pytest.raises(KeyError):
        event_from_payload("ticket.teleported.v1", payload)


RESULTS: list[Result] = [
    TicketResult(
        uuid4(),
        "Laptop",
        "A new laptop\n",
        TicketStatus.SUBMITTED,
        uuid4(),
        "alice",
        2,
        WHEN,
        PLUS_TWO,
    ),
    TicketResult(uuid4(), "", "", TicketStatus.DRAFT, uuid4(), "bob", 1, WHEN, WHEN),
    CommentResult(uuid4(), uuid4(), uuid4(), "carol", "looks good", PLUS_TWO, 5),
    UserResult(uuid4(), "dave", (Role.ADMIN, Role.APPROVER)),
    UserResult(uuid4(), "erin", ()),
    BatchResult(12),
]


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: type(r).__name__)
def test_result_round_trips_through_json(result: Result) -> None:
    document = json.loads(json.dumps(result_to_json(result)))
    restored = result_from_json(document)
    assert type(restored) is type(result)
    assert restored == result


@pytest.mark.parametrize(
    ("result", "kind"),
    [(RESULTS[0], "ticket"), (RESULTS[2], "comment"), (RESULTS[3], "user"), (RESULTS[5], "batch")],
)
def test_result_kind(result: Result, kind: str) -> None:
    assert result_to_json(result)["kind"] == kind


def test_result_fields_keep_their_types() -> None:
    restored = result_from_json(json.loads(json.dumps(result_to_json(RESULTS[0]))))
    assert isinstance(restored, TicketResult)
    assert restored.status is TicketStatus.SUBMITTED
    assert restored.updated_at.utcoffset() == timedelta(hours=2)
    user = result_from_json(json.loads(json.dumps(result_to_json(RESULTS[3]))))
    assert isinstance(user, UserResult)
    assert all(type(role) is Role for role in user.roles)


# The outbox log is durable: these are the payload keys stored for each event type,
# and a stored event must keep serializing to exactly them.
PAYLOAD_KEYS = {
    "ticket.created.v1": {"title", "description"},
    "ticket.edited.v1": {"title", "description"},
    "ticket.submitted.v1": set(),
    "ticket.approved.v1": set(),
    "ticket.rejected.v2": {"reason", "reason_code"},  # v1 rows ({"reason"}) are upcast
    "ticket.reopened.v1": set(),
    "comment.added.v1": {"comment_id", "body"},
}
COMMON_KEYS = {"ticket_id", "version", "actor_id", "actor_name", "occurred_at"}


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).event_type)
def test_payload_keys_are_exactly_the_stored_ones(event: DomainEvent) -> None:
    assert set(event_to_payload(event)) == COMMON_KEYS | PAYLOAD_KEYS[event.event_type]
