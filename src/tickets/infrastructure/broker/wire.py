"""A batch of integration messages onto an AMQP channel: one write, a confirm per message.

aio-pika's ``Exchange.publish`` (and aiormq's ``Channel.basic_publish`` under it) sends
one message per call, and each call costs a task, the channel lock, a socket write and
a wait for the writer to drain. The outbox publishes batches, so here a batch's frames
are encoded by pamqp's public encoders (``pamqp.frame.marshal`` of a Basic.Publish, a
content header and the body frames, exactly what ``basic_publish`` would send) and
handed to the connection's writer as one write.

That write is the one place this project uses a library's internals (docs/design.md,
"Library internals"): aiormq's channel has no public call that writes several
messages at once, so ``send`` does what ``basic_publish`` does, under the channel lock:
each message takes the next delivery tag and registers a confirmation future where the
channel's reader settles it (an ack: a result; a nack: ``DeliveryError``). aiormq is
bounded below its next major version in pyproject.toml, and
tests/unit/test_wire_internals.py fails loudly when any attribute used here changes.
"""

import asyncio
from collections.abc import Sequence

import pamqp.frame
from aiormq import Channel
from aiormq.abc import ChannelFrame
from pamqp import commands
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from tickets.infrastructure.broker.integration import IntegrationMessage

PERSISTENT = 2
APP_ID = "tickets"


def properties(message: IntegrationMessage) -> commands.Basic.Properties:
    """The AMQP properties of ``message``: the same for every publisher of this project."""
    return commands.Basic.Properties(
        content_type="application/json",
        delivery_mode=PERSISTENT,
        message_id=message.message_id,
        correlation_id=message.correlation_id or None,  # absent, like any empty property
        timestamp=message.timestamp,
        message_type=message.routing_key,
        app_id=APP_ID,
        headers=message.headers,
    )


def encode(channel: int, exchange: str, message: IntegrationMessage, max_body: int) -> bytes:
    """The publish method, content header and body frames of one message; a value AMQP
    cannot carry (a short string over 255 bytes, say) raises here, before any write."""
    body = message.body
    frames: list[commands.Basic.Publish | ContentHeader | ContentBody] = [
        commands.Basic.Publish(exchange=exchange, routing_key=message.routing_key),
        ContentHeader(body_size=len(body), properties=properties(message)),
    ]
    frames += [ContentBody(body[i : i + max_body]) for i in range(0, len(body), max_body)]
    return b"".join(pamqp.frame.marshal(frame, channel) for frame in frames)


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
