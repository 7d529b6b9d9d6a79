"""The frames of the broker publisher, as a broker reads them: pamqp decodes each batch
back to the messages it was made of, every property and header intact."""

import calendar
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

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


def decoded(data: bytes) -> list[tuple[int, Any]]:
    """(channel, frame) of every frame in ``data``, in order."""
    frames = []
    while data:
        used, channel, frame = pamqp.frame.unmarshal(data)
        frames.append((channel, frame))
        data = data[used:]
    return frames


def assert_carries(frames: list[tuple[int, Any]], channel: int, exchange: str, m: Any) -> None:
    assert {number for number, _ in frames} == {channel}
    publish, header, *bodies = (frame for _, frame in frames)
    assert isinstance(publish, spec.Basic.Publish)
    assert (publish.exchange, publish.routing_key) == (exchange, m.routing_key)
    assert (publish.mandatory, publish.immediate) == (False, False)
    assert isinstance(header, ContentHeader)
    assert header.body_size == len(m.body)
    assert all(isinstance(b, ContentBody) for b in bodies)
    assert b"".join(b.value for b in bodies) == m.body
    p = header.properties
    assert (p.content_type, p.delivery_mode, p.app_id) == ("application/json", 2, "tickets")
    assert (p.message_id, p.message_type) == (m.message_id, m.routing_key)
    assert p.correlation_id == (m.correlation_id or None)
    at = m.timestamp if m.timestamp.tzinfo else m.timestamp.replace(tzinfo=UTC)
    assert calendar.timegm(p.timestamp.utctimetuple()) == int(at.timestamp())  # whole seconds
    assert (p.headers or {}) == m.headers


def test_every_published_event_type_decodes_to_its_message() -> None:
    events = ticket_events(uuid.uuid4(), 3)
    messages = [m for e in events for m in integration_messages(uuid.uuid4(), "corr-1", e)]
    data = b"".join(wire.encode(1, "tickets.events", m, 131_064) for m in messages)
    frames = decoded(data)
    assert len(frames) == 3 * len(messages)  # bodies well under one frame each
    for n, message in enumerate(messages):
        assert_carries(frames[3 * n : 3 * n + 3], 1, "tickets.events", message)


texts = st.text(max_size=40)
header_values = st.one_of(st.text(max_size=60), st.integers(-(2**63), 2**63 - 1))


@given(
    channel=st.integers(1, 2047),
    exchange=st.from_regex(r"[a-zA-Z0-9_.:-]{1,30}", fullmatch=True),  # declared: valid
    routing_key=st.text(min_size=1, max_size=40),
    correlation_id=st.one_of(st.none(), texts),
    headers=st.dictionaries(st.text(min_size=1, max_size=20), header_values, max_size=6),
    body=st.binary(min_size=1, max_size=300),
    max_body=st.integers(1, 120),
    seconds=st.integers(0, 4_000_000_000),
    offset_hours=st.one_of(st.none(), st.integers(-12, 14)),
)
def test_any_message_decodes_to_itself(
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
    if offset_hours is None:  # a naive time counts as UTC
        at = at.replace(tzinfo=None)
    else:
        at = at.astimezone(timezone(timedelta(hours=offset_hours)))
    message = IntegrationMessage(routing_key, str(uuid.uuid4()), correlation_id, at, headers, body)
    frames = decoded(wire.encode(channel, exchange, message, max_body))
    assert len(frames) == 2 + -(-len(body) // max_body)  # body split at max_body
    assert_carries(frames, channel, exchange, message)


@pytest.mark.parametrize(
    "message",
    [
        IntegrationMessage("k", "id", "c" * 256, datetime.now(UTC), {}, b"{}"),
        IntegrationMessage("k" * 256, "id", None, datetime.now(UTC), {}, b"{}"),
        IntegrationMessage("k", "id", None, datetime.now(UTC), {"h": object()}, b"{}"),
    ],
)
def test_a_value_amqp_cannot_carry_is_refused_before_any_write(
    message: IntegrationMessage,
) -> None:
    with pytest.raises(TypeError):
        wire.encode(1, "x", message, 100)
