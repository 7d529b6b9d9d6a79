"""A batch of integration messages onto an AMQP channel: one write, a confirm per message.

aio-pika's ``Exchange.publish`` sends one message per call, and each call costs a task,
the channel lock, a socket write and a wait for the writer to drain; encoding the frames
with pamqp's generic marshalling costs about as much again. A profile of the outbox
publishing through them (docs/benchmarks.md) spent most of its time there. The outbox
publishes batches of messages that all have the same few properties, so here a batch
is encoded at once, by hand, and handed to the connection's writer as one write.

The bytes are exactly those pamqp writes for the same message (tests/unit/test_wire.py
compares them), in AMQP 0-9-1 framing: per message a Basic.Publish method frame, a
content header frame with the properties, and the body in frames of at most the
negotiated size.

The channel is aiormq's (aio-pika's own protocol layer, pinned in constraints.txt),
used the way its ``basic_publish`` uses it: under the channel lock each message takes
the next delivery tag and registers a confirmation future where the channel's reader
settles it (an ack: a result; a nack: ``DeliveryError``).
"""

import asyncio
import struct
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from aiormq import Channel
from aiormq.abc import ChannelFrame

from tickets.infrastructure.broker.integration import IntegrationMessage

FRAME_END = b"\xce"
METHOD, HEADER, BODY = 1, 2, 3
_FRAME = struct.Struct(">BHI")  # frame type, channel, payload size
# Basic (class 60) . Publish (method 40), the reserved short, then exchange, routing key
# and the mandatory/immediate bits (both off).
_PUBLISH = struct.pack(">HHH", 60, 40, 0)
_NO_FLAGS = b"\x00"
_CONTENT = struct.Struct(">HHQH")  # class 60, weight 0, body size, property flags
_TIMESTAMP = struct.Struct(">Q")
_LONG = struct.Struct(">I")

# Property flags, in the order the properties follow them on the wire.
CONTENT_TYPE, HEADERS, DELIVERY_MODE = 1 << 15, 1 << 13, 1 << 12
CORRELATION_ID, MESSAGE_ID, TIMESTAMP, TYPE, APP_ID = 1 << 10, 1 << 7, 1 << 6, 1 << 5, 1 << 3
PERSISTENT = b"\x02"
JSON = b"\x10application/json"
APP = b"\x07tickets"

# Table integers take the smallest type that holds them, as pamqp chooses.
_INTEGERS = (
    (-(2**7), 2**7 - 1, b"b", struct.Struct(">b")),
    (-(2**15), 2**15 - 1, b"s", struct.Struct(">h")),
    (0, 2**16 - 1, b"u", struct.Struct(">H")),
    (-(2**31), 2**31 - 1, b"I", struct.Struct(">i")),
    (0, 2**32 - 1, b"i", struct.Struct(">I")),
    (-(2**63), 2**63 - 1, b"l", struct.Struct(">q")),
)


def _short(text: str) -> bytes:
    data = text.encode()
    if len(data) > 255:
        raise TypeError(f"string exceeds maximum length of 255 bytes: {text[:40]!r}…")
    return bytes((len(data),)) + data


def _value(value: Any) -> bytes:
    if isinstance(value, str):
        data = value.encode()
        return b"S" + _LONG.pack(len(data)) + data
    if isinstance(value, int) and not isinstance(value, bool):
        for low, high, tag, packer in _INTEGERS:
            if low <= value <= high:
                return tag + packer.pack(value)
    raise TypeError(f"unsupported header value {value!r}")


def _table(headers: dict[str, Any]) -> bytes:
    data = b"".join(_short(key) + _value(value) for key, value in sorted(headers.items()))
    return _LONG.pack(len(data)) + data


def _frame(kind: int, channel: int, payload: bytes) -> bytes:
    return _FRAME.pack(kind, channel, len(payload)) + payload + FRAME_END


def encode(channel: int, exchange: str, message: IntegrationMessage, max_body: int) -> bytes:
    """The publish method, content header and body frames of one message."""
    method = _PUBLISH + _short(exchange) + _short(message.routing_key) + _NO_FLAGS
    flags = CONTENT_TYPE | HEADERS | DELIVERY_MODE | MESSAGE_ID | TIMESTAMP | TYPE | APP_ID
    properties = [JSON, _table(message.headers), PERSISTENT]
    if message.correlation_id:  # absent, like any empty property
        flags |= CORRELATION_ID
        properties.append(_short(message.correlation_id))
    at = message.timestamp
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    properties += [
        _short(message.message_id),
        _TIMESTAMP.pack(int(at.timestamp())),
        _short(message.routing_key),
        APP,
    ]
    body = message.body
    header = _CONTENT.pack(60, 0, len(body), flags) + b"".join(properties)
    frames = [_frame(METHOD, channel, method), _frame(HEADER, channel, header)]
    frames += [_frame(BODY, channel, body[i : i + max_body]) for i in range(0, len(body), max_body)]
    return b"".join(frames)


def encode_batch(channel: Channel, exchange: str, messages: Sequence[IntegrationMessage]) -> bytes:
    return b"".join(encode(channel.number, exchange, m, channel.max_content_size) for m in messages)


async def send(channel: Channel, payload: bytes, count: int) -> list[asyncio.Future[object]]:
    """Write ``count`` encoded messages in order; the futures resolve as the broker
    confirms each (see ``confirmed``)."""
    loop = asyncio.get_running_loop()
    # Plain futures, not the channel's: those cost three callbacks each; ``confirmed``
    # watches the channel for closing once per batch instead.
    confirmations: list[asyncio.Future[object]] = [loop.create_future() for _ in range(count)]
    # Nothing below awaits once the lock is held: the delivery tags are consecutive and
    # the frames reach the writer's queue in the same order, as one write.
    async with channel.lock:
        first = channel.delivery_tag + 1
        channel.delivery_tag += count
        channel.confirmations.update(zip(range(first, first + count), confirmations, strict=True))
        channel.write_queue.put_nowait(ChannelFrame(payload=payload, should_close=False))
    return confirmations


async def confirmed(channel: Channel, confirmations: Sequence[asyncio.Future[object]]) -> None:
    """Return once the broker acked every message; raise for a nack (``DeliveryError``),
    or as soon as the channel or its connection closes."""
    lost = channel.create_future()  # aiormq fails a channel's own futures when it closes
    try:
        for confirmation in confirmations:
            if not confirmation.done():
                await asyncio.wait((confirmation, lost), return_when=asyncio.FIRST_COMPLETED)
                if lost.done():
                    lost.result()  # the reason it closed
                    raise ConnectionError("the channel closed")
            confirmation.result()
    finally:
        lost.cancel()
