"""One publishing connection to RabbitMQ: publisher confirms, reconnect with backoff,
and the state that readiness and /metrics report.

A publish counts only when the broker confirmed every message of it. Any failure on
the way (connection refused or cut, a channel closed, a negative or missing confirm
within ``confirm_timeout``) is an outage: it raises ``HandlerUnavailable``, which
leaves the messages pending in the outbox, uncharged, until the next try. While the
broker is down, calls fail at once until the backoff has passed, so a worker does not
wait on connect timeouts for every batch.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from enum import StrEnum

import aio_pika
from aio_pika.abc import AbstractConnection
from aiormq import Channel
from prometheus_client import CollectorRegistry, Counter, Gauge

from tickets.infrastructure.backoff import Backoff
from tickets.infrastructure.broker import wire
from tickets.infrastructure.broker.integration import IntegrationMessage
from tickets.infrastructure.outbox.subscriptions import HandlerUnavailable

log = logging.getLogger("tickets.broker")


class LinkState(StrEnum):
    IDLE = "idle"
    """Never used yet."""
    CONNECTED = "connected"
    UNREACHABLE = "unreachable"
    """The last try failed; the next waits for the backoff."""


def quiet_client_logs() -> None:
    """aiormq logs every failed connect and lost connection, with a traceback; the
    callers here report an outage in one line of their own instead."""
    logging.getLogger("aiormq.connection").setLevel(logging.CRITICAL)


class BrokerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.connected = Gauge(
            "tickets_broker_connected",
            "1 while the publishing connection to the message broker is up",
            registry=registry,
        )
        self.published = Counter(
            "tickets_broker_published", "Messages confirmed by the broker", registry=registry
        )
        self.failures = Counter(
            "tickets_broker_publish_failures",
            "Publish attempts that failed for a broker outage (messages stay pending)",
            registry=registry,
        )


class BrokerLink:
    def __init__(
        self,
        url: str,
        exchange: str,
        metrics: BrokerMetrics | None = None,
        confirm_timeout: float = 10.0,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
    ) -> None:
        self.url = url
        self.exchange_name = exchange
        self.metrics = metrics
        self.confirm_timeout = confirm_timeout
        self._retry = Backoff(backoff_base, backoff_cap)
        self.state = LinkState.IDLE
        self.last_error = ""
        self.down_since: float | None = None
        self._pause = backoff_base  # how long the current outage waits between tries
        self._next_try = 0.0
        self._connection: AbstractConnection | None = None
        self._channel: Channel | None = None  # aio-pika's protocol layer: see wire.py
        self._lock = asyncio.Lock()
        quiet_client_logs()

    def problem(self) -> str | None:
        """Why the broker is not usable now, for readiness (None when it is)."""
        if self.state is not LinkState.UNREACHABLE or self.down_since is None:
            return None
        for_seconds = time.monotonic() - self.down_since
        return f"message broker unreachable for {for_seconds:.0f}s ({self.last_error})"

    async def publish(self, messages: Sequence[IntegrationMessage]) -> None:
        """Publish in order on one channel; return once the broker confirmed them all."""
        if not messages:
            return
        channel = await self._channel_or_raise()
        # Outside the try: a message that cannot be encoded is poison, not an outage.
        payload = wire.encode_batch(channel, self.exchange_name, messages)
        try:
            async with asyncio.timeout(self.confirm_timeout):
                # One channel keeps the batch in order on the broker, so a ticket's
                # versions reach every queue in version order.
                confirmations = await wire.send(channel, payload, len(messages))
                await wire.confirmed(channel, confirmations)  # raises: a nack, a lost channel
        except Exception as error:  # any failure here is the broker's, not the message's
            await self._lost(error)
            raise HandlerUnavailable(f"publish failed: {self.last_error}", self._pause) from error
        if self.metrics is not None:
            self.metrics.published.inc(len(messages))

    async def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 5)

    async def declare(self) -> None:
        """Connect (if needed) and declare the durable topic exchange."""
        await self._channel_or_raise()

    async def _channel_or_raise(self) -> Channel:
        if (channel := self._open_channel()) is not None:
            return channel
        async with self._lock:  # concurrent claim loops share one connection
            if (channel := self._open_channel()) is not None:
                return channel
            if self._channel is not None:
                await self._lost(ConnectionError("connection or channel closed"))
            wait = self._next_try - time.monotonic()
            if wait > 0:
                raise HandlerUnavailable(f"broker unreachable: {self.last_error}", wait)
            connection: AbstractConnection | None = None
            try:
                async with asyncio.timeout(self.confirm_timeout):
                    connection = await aio_pika.connect(self.url)
                    opened = await connection.channel(publisher_confirms=True)
                    await opened.declare_exchange(
                        self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
                    )
                    underlay = await opened.get_underlay_channel()
                    assert isinstance(underlay, Channel)  # what wire.py is written against
                    channel = underlay
            except Exception as error:
                if connection is not None:  # connected, but no channel or exchange
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(connection.close(), 5)
                await self._lost(error)
                raise HandlerUnavailable(
                    f"broker unreachable: {self.last_error}", self._pause
                ) from error
            self._connection, self._channel = connection, channel
            self._connected()
            return channel

    def _open_channel(self) -> Channel | None:
        """The publishing channel while it and its connection are open."""
        connection, channel = self._connection, self._channel
        if connection is None or connection.is_closed or channel is None or channel.is_closed:
            return None
        return channel

    def _connected(self) -> None:
        if self.state is LinkState.UNREACHABLE:
            log.warning("message broker reachable again; publishing the backlog")
        self.state, self.down_since = LinkState.CONNECTED, None
        self._retry.reset()
        if self.metrics is not None:
            self.metrics.connected.set(1)

    async def _lost(self, error: BaseException) -> None:
        self.last_error = f"{type(error).__name__}: {error}"[:300]
        if self.state is not LinkState.UNREACHABLE:  # one line per outage, not per try
            log.warning("message broker unreachable (%s); events stay pending", self.last_error)
            self.down_since = time.monotonic()
        self.state = LinkState.UNREACHABLE
        self._pause = self._retry.next()
        self._next_try = time.monotonic() + self._pause
        if self.metrics is not None:
            self.metrics.connected.set(0)
            self.metrics.failures.inc()
        await self.close()
