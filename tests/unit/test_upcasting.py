"""Old event versions in the log are read as the current version."""

from datetime import UTC, datetime
from uuid import uuid4

from tickets.domain.events import TicketRejected
from tickets.domain.rejection import RejectionCode
from tickets.infrastructure.serialization import event_from_payload, event_to_payload
from tickets.infrastructure.upcasting import UPCASTERS, current_type, upcast


def v1_payload() -> dict[str, object]:
    """A ticket.rejected.v1 row as it was committed before reason codes existed."""
    return {
        "ticket_id": str(uuid4()),
        "version": 3,
        "actor_id": str(uuid4()),
        "actor_name": "carol",
        "occurred_at": datetime(2026, 1, 2, tzinfo=UTC).isoformat(),
        "reason": "too dear",
    }


def test_a_v1_rejection_is_read_as_v2_with_an_unspecified_code() -> None:
    event = event_from_payload("ticket.rejected.v1", v1_payload())
    assert isinstance(event, TicketRejected)
    assert event.event_type == "ticket.rejected.v2"
    assert event.reason == "too dear"
    assert event.reason_code is RejectionCode.UNSPECIFIED


def test_a_v2_rejection_round_trips_with_its_code() -> None:
    payload = event_to_payload(
        TicketRejected(
            ticket_id=uuid4(),
            version=3,
            actor_id=uuid4(),
            actor_name="carol",
            occurred_at=datetime.now(UTC),
            reason="dup",
            reason_code=RejectionCode.DUPLICATE,
        )
    )
    assert payload["reason_code"] == "duplicate"
    event = event_from_payload("ticket.rejected.v2", payload)
    assert isinstance(event, TicketRejected)
    assert event.reason_code is RejectionCode.DUPLICATE


def test_upcasting_leaves_the_stored_payload_alone_and_current_types_unchanged() -> None:
    payload = v1_payload()
    before = dict(payload)
    assert upcast("ticket.rejected.v1", payload)[0] == "ticket.rejected.v2"
    assert payload == before  # rows are read, never rewritten
    assert upcast("ticket.approved.v1", payload) == ("ticket.approved.v1", payload)
    assert current_type("ticket.rejected.v1") == "ticket.rejected.v2"


def test_every_upcaster_ends_at_a_current_event_type() -> None:
    from tickets.domain.events import EVENT_TYPES

    for old in UPCASTERS:
        assert old not in EVENT_TYPES
        assert current_type(old) in EVENT_TYPES
