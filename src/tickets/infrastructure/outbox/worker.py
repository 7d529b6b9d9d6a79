"""The outbox worker: delivery loops per subscription over the lanes it leases,
woken by LISTEN/NOTIFY with a slow polling fallback; graceful stop (its lanes are
released), and reconnection with backoff when the database goes away."""

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum

from tickets.infrastructure.backoff import Backoff
from tickets.infrastructure.database import is_connection_error
from tickets.infrastructure.outbox.dispatcher import Dispatcher
from tickets.infrastructure.outbox.lag import SubscriptionLag, subscription_lags
from tickets.infrastructure.outbox.metrics import OutboxMetrics
from tickets.infrastructure.outbox.progress import LeaseLost, Progress
from tickets.infrastructure.outbox.redelivery import redeliver_due
from tickets.infrastructure.outbox.sequencer import ensure_partitions
from tickets.infrastructure.outbox.store import OutboxStore
from tickets.infrastructure.outbox.subscriptions import HandlerUnavailable, Subscription
from tickets.infrastructure.outbox_rows import NOTIFY_CHANNEL
from tickets.infrastructure.pools import Timeouts, connect

log = logging.getLogger("tickets.worker")

REBALANCE_SECONDS = 1.0
"""How soon a loop asks again for lanes of its part that another worker still held."""

REDELIVERY_SECONDS = 0.1
"""How often a delivery loop looks for parked tickets due for a retry (at once again
while it finds some): a retry's backoff is at least this coarse."""


@dataclass(frozen=True)
class WorkerConfig:
    batch_size: int = 500
    lease_seconds: float = 30.0
    poll_seconds: float = 2.0
    per_ticket: int = 50
    # Delivery loops per subscription: with two, one batch's Python work (decoding,
    # building the projections' arrays) overlaps the other's wait on PostgreSQL (tickets
    # bench). Each loop leases its own part of the worker's lanes (progress.py), and a
    # ticket's events are all in one lane: per-ticket order does not depend on it.
    concurrency: int = 2
    # After a batch smaller than batch_size, each loop waits this long before claiming
    # again, so that under load the commits of that moment come as one batch: a claim,
    # the projections' statements and the settle cost PostgreSQL about as much for one
    # event as for fifty (tickets bench). An idle worker still wakes at once.
    linger_seconds: float = 0.0
    stats_seconds: float = 5.0
    max_backoff_seconds: float = 30.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class WorkerState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    RECONNECTING = "reconnecting"
    """The database was lost; the next try waits for the backoff."""
    STOPPED = "stopped"


class OutboxWorker:
    def __init__(
        self,
        listen_url: str,
        store: OutboxStore,
        dispatcher: Dispatcher,
        config: WorkerConfig,
        metrics: OutboxMetrics | None = None,
        listen_timeouts: Timeouts = Timeouts(),
    ) -> None:
        self.listen_url = listen_url
        self.listen_timeouts = listen_timeouts
        self.store = store
        self.dispatcher = dispatcher
        self.config = config
        self.metrics = metrics
        self.name = worker_name()
        self.state = WorkerState.STARTING
        self.last_beat = time.monotonic()
        self._wakes: list[asyncio.Event] = []
        self._short: set[tuple[Subscription, int]] = set()
        """(subscription, part) of loops whose last lease did not get all their lanes."""

    def _wake_all(self) -> None:
        for wake in self._wakes:
            wake.set()

    def is_alive(self) -> bool:
        """Running, and its loops went round recently (a batch may take a lease's time)."""
        limit = max(3 * self.config.poll_seconds, self.config.lease_seconds)
        return self.state is WorkerState.RUNNING and time.monotonic() - self.last_beat < limit

    async def run(self, stop: asyncio.Event) -> None:
        backoff = Backoff(cap=self.config.max_backoff_seconds)
        while not stop.is_set():
            try:
                await self._serve(stop)
            except Exception as error:
                # Never die: a lost database means reconnecting; anything else (a deadlock
                # victim, a bug) is logged, and the batch's leases expire so it is retried.
                pause = backoff.next()
                if not is_connection_error(error):
                    log.exception("outbox worker batch failed; retrying after %.1fs", pause)
                elif self.state is not WorkerState.RECONNECTING:  # one line per outage, not per try
                    log.warning("outbox worker lost the database (%r); reconnecting", error)
                self.state = WorkerState.RECONNECTING
                await _sleep_or_stop(stop, pause)
            else:
                backoff.reset()
        self.state = WorkerState.STOPPED

    async def _serve(self, stop: asyncio.Event) -> None:
        listener = await connect(self.listen_url, self.listen_timeouts)
        lost = asyncio.Event()
        try:
            # NOTIFY arrives only after the inserting transaction committed, so a
            # wake-up always finds its rows visible; a missed one is caught by polling.
            self._wakes = []
            await listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake_all())
            listener.add_termination_listener(lambda *_: lost.set())
            if self.state is WorkerState.RECONNECTING:
                log.warning("outbox worker reconnected")
            self.state = WorkerState.RUNNING
            # Outside the claim loops' group: the metrics never stop delivery, and a
            # slow statistics query never holds up a stop or a reconnect.
            observer = None
            if self.metrics is not None:
                observer = asyncio.create_task(self._observe())
            try:
                await ensure_partitions(self.dispatcher.store.pool)
                await self._loop(stop, lost)
            except* Exception as errors:
                raise errors.exceptions[0] from None
            finally:
                if observer is not None:
                    observer.cancel()
                    await asyncio.gather(observer, return_exceptions=True)
            if lost.is_set() and not stop.is_set():
                raise ConnectionResetError("the LISTEN connection was closed")
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listener.close(), 5)

    async def _loop(self, stop: asyncio.Event, lost: asyncio.Event) -> None:
        """Loops per subscription: each has its own lanes, outage and pace, so one
        subscription's outage or backlog never holds up another."""
        try:
            async with asyncio.TaskGroup() as group:
                for subscription in self.dispatcher.subscriptions:
                    for part in range(self.config.concurrency):
                        own = asyncio.Event()  # one per loop: a loop's clear is its own
                        self._wakes.append(own)
                        group.create_task(self._deliver(subscription, stop, own, lost, part))
        finally:
            await self._leave()

    async def _deliver(
        self,
        subscription: Subscription,
        stop: asyncio.Event,
        wake: asyncio.Event,
        lost: asyncio.Event,
        part: int = 0,
    ) -> None:
        """Deliver ``subscription`` over the ``part``-th share of this worker's lanes."""
        config, store = self.config, self.dispatcher.store
        progress = self.dispatcher.progress(subscription)
        lanes: dict[int, int] = {}
        renew_at = redeliver_at = 0.0
        full = False
        while not stop.is_set() and not lost.is_set():
            self.last_beat = time.monotonic()
            wake.clear()  # before claiming: a NOTIFY during the claim is not lost
            if time.monotonic() >= renew_at:
                lanes = await self._lease(subscription, progress, part)
                # Lanes of this part still held by another worker (given up on its next
                # renewal) are tried for again soon, not a third of a lease later.
                short = (subscription, part) in self._short
                again = REBALANCE_SECONDS if short else config.lease_seconds / 3
                renew_at = time.monotonic() + again
            # After a full page there is positioned work left to claim: no need to wait
            # for the sequencer (a claim reads up to the head, whatever it is), and one
            # run at a time, so that other loops deliver while one of them positions.
            if not full:
                await store.sequence()
            try:
                result = await self.dispatcher.deliver(
                    subscription, lanes, self.name, config.batch_size
                )
                full = result.claimed >= config.batch_size
                unparked = 0
                # A query a round would cost a lot; and one loop per subscription does it.
                if part == 0 and time.monotonic() >= redeliver_at:
                    unparked = await redeliver_due(self.dispatcher, subscription)
                    redeliver_at = time.monotonic() + (0 if unparked else REDELIVERY_SECONDS)
            except LeaseLost as error:
                log.info("outbox worker %s", error)
                renew_at = 0.0
                continue
            except HandlerUnavailable as outage:
                await _first_of(stop, lost, timeout=outage.retry_after)
                continue
            if result.postponed is not None:
                await _first_of(stop, lost, timeout=result.postponed)
                continue
            if result.claimed or unparked:
                if result.claimed < config.batch_size and config.linger_seconds > 0:
                    await _first_of(stop, lost, timeout=config.linger_seconds)
                continue
            await _first_of(wake, stop, lost, timeout=config.poll_seconds)

    async def _lease(
        self, subscription: Subscription, progress: Progress, part: int
    ) -> dict[int, int]:
        async with subscription.pool.acquire() as connection:
            held, whole = await progress.lease_part(
                connection,
                subscription.name,
                self.name,
                self.config.lease_seconds,
                part,
                self.config.concurrency,
            )
        if whole:
            self._short.discard((subscription, part))
        else:
            self._short.add((subscription, part))
        return held

    async def _leave(self) -> None:
        """Give up every lane on a stop, so that other workers take them at once."""
        for subscription in self.dispatcher.subscriptions:
            with contextlib.suppress(Exception):
                async with subscription.pool.acquire() as connection:
                    await self.dispatcher.progress(subscription).leave(connection, self.name)

    async def statistics(self) -> list[SubscriptionLag]:
        """Each subscription's lag and parked tickets."""
        return await subscription_lags(self.dispatcher.store, self.dispatcher.subscriptions)

    async def _observe(self) -> None:
        """Each subscription's figures for the metrics, until cancelled. A failed query
        only skips an observation: a lost database is the delivery loops' to notice."""
        assert self.metrics is not None
        failing = False
        while True:
            try:
                lags = await self.statistics()
                unpositioned = await self.dispatcher.store.unpositioned()
            except Exception as error:
                if not failing:  # one line per streak, not one per try
                    log.warning("outbox statistics failed (%r); delivery goes on", error)
                failing = True
            else:
                failing = False
                self.metrics.observe_lags(lags)
                self.metrics.unpositioned.set(unpositioned)
            await asyncio.sleep(self.config.stats_seconds)


async def _first_of(*events: asyncio.Event, timeout: float) -> None:  # noqa: ASYNC109
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
