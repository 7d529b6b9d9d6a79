"""The test RabbitMQ: unique exchanges and queues per test, removed afterwards."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from tickets.infrastructure.broker.consumer import Deduplicator


@dataclass
class Received:
    routing_key: str
    message_id: str
    properties: dict[str, Any]
    headers: dict[str, Any]
    body: dict[str, Any]


@dataclass
class Consumer:
    """Everything a queue bound to the exchange with ``#`` received, in order."""

    messages: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        self.messages.append(received(message))
        self.arrived.set()
        await message.ack()

    def first_seen(self) -> list[Received]:
        return first_seen(self.messages)


def received(message: AbstractIncomingMessage) -> Received:
    return Received(
        message.routing_key or "",
        message.message_id or "",
        {
            "content_type": message.content_type,
            "delivery_mode": int(message.delivery_mode or 0),
            "correlation_id": message.correlation_id,
            "type": message.type,
        },
        dict(message.headers),
        json.loads(message.body),
    )


def first_seen(messages: list[Received]) -> list[Received]:
    """Deduplicated by message_id as the reference consumer does: the first copy of each."""
    dedupe = Deduplicator()
    return [m for m in messages if dedupe.first_time(m.message_id)]


def unique_exchange() -> str:
    return f"tickets.test.{uuid.uuid4().hex[:10]}"


async def delete_exchange(url: str, exchange: str) -> None:
    """Remove a test's exchange (whoever declared it); nothing if it does not exist."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        await channel.exchange_delete(exchange)
    finally:
        await connection.close()


@asynccontextmanager
async def bound_queue(url: str, exchange: str) -> AsyncIterator[AbstractQueue]:
    """Declare ``exchange`` and a queue bound to all of it; delete both afterwards."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(f"{exchange}.q", exclusive=True)
        await queue.bind(ex, "#")
        try:
            yield queue
        finally:
            await queue.delete(if_unused=False, if_empty=False)
            await ex.delete()
    finally:
        await connection.close()


@asynccontextmanager
async def consuming(url: str, exchange: str) -> AsyncIterator[Consumer]:
    """A consumer on ``bound_queue(url, exchange)`` for as long as the block runs."""
    async with bound_queue(url, exchange) as queue:
        consumer = Consumer()
        tag = await queue.consume(consumer.on_message)
        try:
            yield consumer
        finally:
            await queue.cancel(tag)


async def take_all(queue: AbstractQueue) -> list[Received]:
    """Every message the queue holds now, in queue order (acknowledged as taken)."""
    taken = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        taken.append(received(message))
    return taken
