"""A batch of integration messages onto an AMQP channel: one write, a confirm per message.

aio-pika's ``Exchange.publish`` sends one message per call, and each call costs a task,
the channel lock, a socket write and a wait for the writer to drain; a profile of the
outbox publishing through it (docs/benchmarks.md) spends most of its time there, not in
the outbox. The outbox publishes batches, so a batch is encoded here at once and handed
to the connection's writer as one write.

This uses aiormq's channel (aio-pika's own protocol layer, pinned in constraints.txt)
the way its ``basic_publish`` does: under the channel lock, each message takes the next
delivery tag and registers a confirmation future where the channel's reader settles it
(an ack: a result; a nack: ``DeliveryError``; the channel or connection lost: its
error). The lock is held without awaiting anything, so the tags and the order of the
frames on the wire are the batch's order.
"""

import asyncio
from collections.abc import Sequence

import pamqp.frame
from aiormq import Channel
from aiormq.abc import ChannelFrame
from pamqp import commands as spec
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from tickets.infrastructure.broker.integration import IntegrationMessage

PERSISTENT = 2


def properties(message: IntegrationMessage) -> spec.Basic.Properties:
    """The AMQP properties of a message (the same ones aio-pika would send)."""
    return spec.Basic.Properties(
        content_type="application/json",
        delivery_mode=PERSISTENT,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        timestamp=message.timestamp,
        message_type=message.routing_key,
        app_id="tickets",
        headers=message.headers,
    )


def encode(channel_number: int, exchange: str, message: IntegrationMessage, max_body: int) -> bytes:
    """The publish method, content header and body frames of one message."""
    body = message.body
    frames: list[spec.Basic.Publish | ContentHeader | ContentBody] = [
        spec.Basic.Publish(exchange=exchange, routing_key=message.routing_key),
        ContentHeader(properties=properties(message), body_size=len(body)),
    ]
    frames += [ContentBody(body[i : i + max_body]) for i in range(0, len(body), max_body)]
    return b"".join(pamqp.frame.marshal(frame, channel_number) for frame in frames)


async def send(
    channel: Channel, exchange: str, messages: Sequence[IntegrationMessage]
) -> list[asyncio.Future[object]]:
    """Write the batch in order; the futures resolve as the broker confirms each."""
    payload = b"".join(
        encode(channel.number, exchange, m, channel.max_content_size) for m in messages
    )
    confirmations: list[asyncio.Future[object]] = []
    # Nothing below awaits once the lock is held: the delivery tags are consecutive and
    # the frames reach the writer's queue in the same order, as one write.
    async with channel.lock:
        for _ in messages:
            channel.delivery_tag += 1
            confirmation = channel.create_future()
            channel.confirmations[channel.delivery_tag] = confirmation
            confirmations.append(confirmation)
        channel.write_queue.put_nowait(ChannelFrame(payload=payload, should_close=False))
    return confirmations
