"""Publishing integration events with confirms: through the outbox (claim, map, publish,
await confirms, track, mark processed) against a bare aio-pika publisher sending the
same messages with confirms to the same broker, in alternated rounds of one run."""

import asyncio
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika

from tickets.bench.databases import scratch_runtime
from tickets.bench.outbox_delivery import EVENTS_PER_TICKET, drain_time, fill
from tickets.bench.report import Report, scaled
from tickets.infrastructure.broker.integration import IntegrationMessage, integration_messages
from tickets.infrastructure.broker.link import BrokerLink
from tickets.infrastructure.broker.publisher import BrokerPublisher
from tickets.infrastructure.outbox.dispatcher import Dispatcher
from tickets.infrastructure.outbox.subscriptions import Subscription
from tickets.infrastructure.outbox.worker import WorkerConfig
from tickets.testing.synthetic_events import ticket_events

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"
BATCH = 500  # the outbox worker's default batch: the bare publisher pipelines as many


@asynccontextmanager
async def bench_exchange(url: str) -> AsyncIterator[str]:
    """A unique exchange with one durable queue bound (a subscriber, as in production),
    both deleted afterwards."""
    name = f"tickets.bench.{uuid.uuid4().hex[:10]}"
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(f"{name}.q", durable=True)
        await queue.bind(exchange, "#")
        try:
            yield name
        finally:
            await queue.delete(if_unused=False, if_empty=False)
            await exchange.delete()
    finally:
        await connection.close()


def sample_messages(count: int) -> list[IntegrationMessage]:
    tickets = max(1, count // EVENTS_PER_TICKET)
    return [
        m
        for _ in range(tickets)
        for event in ticket_events(uuid.uuid4(), EVENTS_PER_TICKET)
        for m in integration_messages(uuid.uuid4(), "bench", event)
    ]


def amqp_message(message: IntegrationMessage) -> aio_pika.Message:
    """The message as aio-pika publishes it (the outbox sends the same frames: wire.py)."""
    return aio_pika.Message(
        message.body,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        timestamp=message.timestamp,
        type=message.routing_key,
        app_id="tickets",
        headers=message.headers,
    )


async def bare(url: str, count: int) -> float:
    """Events/s of aio-pika alone: batches of BATCH pipelined, each batch confirmed."""
    messages = sample_messages(count)
    async with bench_exchange(url) as name:
        connection = await aio_pika.connect(url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(name)
            started = time.perf_counter()
            for start in range(0, len(messages), BATCH):
                await asyncio.gather(
                    *(
                        exchange.publish(amqp_message(m), m.routing_key, mandatory=False)
                        for m in messages[start : start + BATCH]
                    )
                )
            elapsed = time.perf_counter() - started
        finally:
            await connection.close()
    return len(messages) / elapsed


async def through_outbox(server_url: str, url: str, count: int) -> float:
    """Events/s of one outbox worker whose only handler is the broker publisher."""
    async with bench_exchange(url) as name, scratch_runtime(server_url) as runtime:
        n = await fill(runtime, count)
        link = BrokerLink(url, name, confirm_timeout=60)
        await link.declare()  # connect before timing, as a running worker would be
        dispatcher = Dispatcher(
            runtime.store, [Subscription(BrokerPublisher(link), runtime.pools.write)]
        )
        config = WorkerConfig(batch_size=BATCH, poll_seconds=0.2)
        try:
            elapsed = await drain_time(runtime, dispatcher, config)
        finally:
            await link.close()
    return n / elapsed


async def reachable(url: str) -> str | None:
    try:
        connection = await aio_pika.connect(url, timeout=5)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


async def run(report: Report, server_url: str, quick: bool, broker_url: str | None) -> None:
    url = broker_url or DEFAULT_URL
    problem = await reachable(url)
    if problem is not None:
        report.figures["broker_publish"] = {"skipped": f"no broker at {url}: {problem}"}
        return
    events = int(scaled(10_000 if quick else 40_000, 500))
    rounds = 1 if quick else 3
    measured: list[dict[str, float]] = []
    for _ in range(rounds):  # alternated: each round runs both on the same broker
        rates = {"bare_aio_pika": await bare(url, events)}
        rates["through_outbox"] = await through_outbox(server_url, url, events)
        measured.append(rates)
    median = {k: statistics.median(r[k] for r in measured) for k in measured[0]}
    ratio = statistics.median(r["through_outbox"] / r["bare_aio_pika"] for r in measured)
    report.figures["broker_publish"] = {
        "events": events,
        "events_per_second": {k: round(v) for k, v in median.items()},
        "rounds": [{k: round(v) for k, v in r.items()} for r in measured],
    }
    report.check(
        "broker publish with confirms through the outbox",
        median["through_outbox"],
        "events/s",
        minimum=5000,
    )
    report.check("broker publish through the outbox / bare aio-pika", ratio, "ratio", minimum=0.5)
