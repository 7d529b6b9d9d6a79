"""The hand-written frames of the broker publisher are byte for byte what pamqp (the
library aio-pika publishes through) encodes for the same message and properties."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pamqp.frame
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pamqp import commands as spec
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from tickets.infrastructure.broker import wire
from tickets.infrastructure.broker.integration import IntegrationMessage, integration_messages
from tickets.testing.synthetic_events import ticket_events


def pamqp_frames(channel: int, exchange: str, message: IntegrationMessage, max_body: int) -> bytes:
    """What aio-pika sends for this message: its properties, marshalled by pamqp."""
    properties = spec.Basic.Properties(
        content_type="application/json",
        delivery_mode=2,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        timestamp=message.timestamp,
        message_type=message.routing_key,
        app_id="tickets",
        headers=message.headers,
    )
    body = message.body
    frames = [
        spec.Basic.Publish(exchange=exchange, routing_key=message.routing_key),
        ContentHeader(properties=properties, body_size=len(body)),
        *(ContentBody(body[i : i + max_body]) for i in range(0, len(body), max_body)),
    ]
    return b"".join(pamqp.frame.marshal(frame, channel) for frame in frames)


def test_every_published_event_type_encodes_as_pamqp_does() -> None:
    events = ticket_events(uuid.uuid4(), 3)
    for event in events:
        for message in integration_messages(uuid.uuid4(), "corr-1", event):
            expected = pamqp_frames(1, "tickets.events", message, 131_064)
            assert wire.encode(1, "tickets.events", message, 131_064) == expected


texts = st.text(max_size=40)
header_values = st.one_of(st.text(max_size=60), st.integers(-(2**63), 2**63 - 1))


@given(
    channel=st.integers(1, 2047),
    exchange=st.from_regex(r"[a-zA-Z0-9_.:-]{1,30}", fullmatch=True),  # declared: valid
    routing_key=st.text(min_size=1, max_size=40),
    correlation_id=st.one_of(st.none(), texts),
    headers=st.dictionaries(st.text(min_size=1, max_size=20), header_values, max_size=6),
    body=st.binary(max_size=300),
    max_body=st.integers(1, 120),
    seconds=st.integers(0, 4_000_000_000),
    offset_hours=st.one_of(st.none(), st.integers(-12, 14)),
)
def test_any_message_encodes_as_pamqp_does(
    channel: int,
    exchange: str,
    routing_key: str,
    correlation_id: str | None,
    headers: dict[str, str | int],
    body: bytes,
    max_body: int,
    seconds: int,
    offset_hours: int | None,
) -> None:
    at = datetime.fromtimestamp(seconds, UTC)
    if offset_hours is None:  # a naive time counts as UTC in both
        at = at.replace(tzinfo=None)
    else:
        at = at.astimezone(timezone(timedelta(hours=offset_hours)))
    message = IntegrationMessage(routing_key, str(uuid.uuid4()), correlation_id, at, headers, body)
    expected = pamqp_frames(channel, exchange, message, max_body)
    assert wire.encode(channel, exchange, message, max_body) == expected


@pytest.mark.parametrize("value", [1.5, True, None, b"bytes"])
def test_a_header_type_the_encoder_does_not_know_is_refused(value: object) -> None:
    message = IntegrationMessage("k", "id", None, datetime.now(UTC), {"h": value}, b"{}")
    with pytest.raises(TypeError):
        wire.encode(1, "x", message, 100)


def test_a_string_too_long_for_a_short_string_is_refused() -> None:
    message = IntegrationMessage("k", "id", "c" * 256, datetime.now(UTC), {}, b"{}")
    with pytest.raises(TypeError):
        wire.encode(1, "x", message, 100)
