"""The reference consumer: a queue bound to the exchange, deduplicated by message_id.

Delivery is at-least-once, so a consumer remembers the message ids it has handled
(here the most recent 100,000, far more than a publisher's retried batch) and skips
repeats. An event published in two versions during a deprecation window carries the
same message_id in both, so a consumer bound to both keys handles it once (the newest
version is published first). ``tickets events tail`` is built on it.
"""

import asyncio
import contextlib
import json
from collections import OrderedDict
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from tickets.infrastructure.broker.integration import IntegrationMessage, integration_messages
from tickets.infrastructure.broker.link import quiet_client_logs
from tickets.infrastructure.outbox.event_log import EventLog
from tickets.tracing.ids import trace_id_of


@dataclass(frozen=True)
class Received:
    routing_key: str
    message_id: str
    body: dict[str, Any]
    replayed: bool = False
    trace_id: str | None = None
    """Of the trace the message continues (its ``traceparent`` header), when traced."""


class Deduplicator:
    """Remembers the last ``size`` message ids; ``first_time`` is False for a repeat."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, message_id: str) -> bool:
        if message_id in self._seen:
            self._seen.move_to_end(message_id)
            return False
        self._seen[message_id] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


def topic_matches(binding: str, routing_key: str) -> bool:
    """AMQP topic matching: ``*`` is one word, ``#`` zero or more."""

    def match(pattern: list[str], words: list[str]) -> bool:
        if not pattern:
            return not words
        head, rest = pattern[0], pattern[1:]
        if head == "#":
            return any(match(rest, words[i:]) for i in range(len(words) + 1))
        if not words:
            return False
        return (head == "*" or head == words[0]) and match(rest, words[1:])

    return match(binding.split("."), routing_key.split("."))


async def tail(
    url: str,
    exchange: str,
    binding: str = "#",
    history: AsyncGenerator[Iterable[IntegrationMessage], None] | None = None,
    dedupe: Deduplicator | None = None,
) -> AsyncGenerator[Received, None]:
    """Every new message on ``exchange`` matching ``binding``, each once.

    With ``history`` (batches of messages read from the event log), the queue is bound
    first and the history yielded before the live messages: an event published while
    the history was read arrives in both and is shown once, so nothing falls between.
    """
    dedupe = dedupe or Deduplicator()
    quiet_client_logs()
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=500)
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True)  # server-named, gone on close
        await queue.bind(ex, binding)
        inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        await queue.consume(inbox.put)
        if history is not None:
            # aclosing: a consumer that stops mid-history (Ctrl-C) closes the history
            # too, which returns its database connection; `async for` alone would
            # leave it suspended, holding the connection its pool waits for.
            async with contextlib.aclosing(history) as batches:
                async for batch in batches:
                    for message in batch:
                        if topic_matches(binding, message.routing_key) and dedupe.first_time(
                            message.message_id
                        ):
                            yield Received(
                                message.routing_key,
                                message.message_id,
                                json.loads(message.body),
                                replayed=True,
                            )
        while True:
            incoming = await inbox.get()
            if dedupe.first_time(incoming.message_id or ""):
                yield Received(
                    incoming.routing_key or "",
                    incoming.message_id or "",
                    json.loads(incoming.body),
                    trace_id=trace_id_of(incoming.headers.get("traceparent")),
                )
            await incoming.ack()
    finally:
        await connection.close()


async def history(log: EventLog) -> AsyncGenerator[list[IntegrationMessage], None]:
    """The event log as the integration messages it was (or will be) published as."""
    async with contextlib.aclosing(log.replay()) as batches:  # closed with this one
        async for batch in batches:
            yield [
                message
                for logged in batch
                for message in integration_messages(
                    logged.message_id, logged.correlation_id, logged.event
                )
            ]
