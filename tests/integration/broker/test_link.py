"""The publishing link on a real RabbitMQ: batches are confirmed, split bodies arrive
whole, and a nack or a channel the broker closes is an outage at once."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import pytest
import pytest_asyncio

from tests.faults.waiting import eventually
from tests.support.broker import Consumer
from tickets.infrastructure.broker.integration import IntegrationMessage
from tickets.infrastructure.broker.link import BrokerLink, LinkState
from tickets.infrastructure.outbox.subscriptions import HandlerUnavailable

# Far longer than any test may take: a test that waits for it fails on its own bound.
NEVER = 600.0


def message(n: int, body: bytes = b"{}") -> IntegrationMessage:
    return IntegrationMessage(
        "ticket.created.v1", str(uuid.uuid4()), f"c{n}", datetime.now(UTC), {"n": n}, body
    )


@pytest_asyncio.fixture
async def link(broker_url: str, exchange: str) -> AsyncIterator[BrokerLink]:
    running = BrokerLink(broker_url, exchange, confirm_timeout=NEVER, backoff_base=0.01)
    yield running
    await running.close()


async def test_batches_arrive_confirmed_in_order_and_a_body_over_a_frame_arrives_whole(
    link: BrokerLink, consumer: Consumer
) -> None:
    big = b'{"x":"' + b"y" * 400_000 + b'"}'  # several frames at RabbitMQ's 128 KiB
    batches = [[message(n) for n in range(k, k + 300)] for k in (0, 300)]
    batches.append([message(600, big), message(601)])
    for batch in batches:
        await link.publish(batch)  # returns only once the broker confirmed all of it
    await eventually(lambda: asyncio.sleep(0, len(consumer.messages) >= 602), within=30)
    assert [m.headers["n"] for m in consumer.messages] == list(range(602))
    assert consumer.messages[600].body == {"x": "y" * 400_000}


async def test_a_nack_is_an_outage(link: BrokerLink, broker_url: str, exchange: str) -> None:
    connection = await aio_pika.connect(broker_url)
    try:
        channel = await connection.channel()
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        # A full queue that refuses more: RabbitMQ nacks what it cannot enqueue.
        full = await channel.declare_queue(
            f"{exchange}.full", arguments={"x-max-length": 1, "x-overflow": "reject-publish"}
        )
        await full.bind(ex, "#")
        with pytest.raises(HandlerUnavailable, match="DeliveryError"):
            async with asyncio.timeout(60):
                await link.publish([message(n) for n in range(3)])
        assert link.state is LinkState.UNREACHABLE
        await full.delete(if_unused=False, if_empty=False)
    finally:
        await connection.close()


async def test_a_channel_the_broker_closes_fails_the_publish_without_waiting_for_confirms(
    link: BrokerLink, broker_url: str, exchange: str
) -> None:
    await link.declare()
    connection = await aio_pika.connect(broker_url)
    try:
        channel = await connection.channel()
        await channel.exchange_delete(exchange)  # publishing to it now closes the channel
    finally:
        await connection.close()
    with pytest.raises(HandlerUnavailable):
        async with asyncio.timeout(60):  # the confirm timeout (NEVER) is not what ends it
            await link.publish([message(n) for n in range(50)])
    assert link.state is LinkState.UNREACHABLE
