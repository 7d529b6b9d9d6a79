"""Delivers one subscription's next page of the log, exactly once in effect.

A round: claim a page after the positions of the lanes this worker leases, then, in
one transaction in the subscription's home database, (1) the fenced advance of those
lanes to the page's last positions (progress.py), (2) skip the tickets parked for this
subscription, (3) apply the rest. Effect and position commit together, so a redelivery
of a page can only happen if the transaction did not commit: exactly-once in effect,
with no tracking row per message.

If applying the page fails, it is applied again ticket by ticket under savepoints
(isolation.py); a ticket whose events fail is parked for this subscription (retried
later with backoff and jitter, by redelivery.py) and the lane moves on: other tickets,
and other subscriptions, keep flowing. A ``HandlerUnavailable`` (the downstream is down) rolls
the round back uncharged and postpones this subscription only.

A handler outside any transaction (the broker) is called first, with no transaction
open; its lanes advance after it returned: at least once, never a transaction held
while it waits for confirms.
"""

import time
from collections.abc import Sequence
from uuid import UUID

from tickets.domain.events import EVENT_TYPES, DomainEvent
from tickets.infrastructure.database import is_connection_error
from tickets.infrastructure.outbox.isolation import apply_isolating, call_handler, describe
from tickets.infrastructure.outbox.messages import OutboxMessage
from tickets.infrastructure.outbox.metrics import OutboxMetrics
from tickets.infrastructure.outbox.pages import (
    Page,
    Round,
    decode,
    deliveries,
    mark_delivered,
    may_want,
    settle_spans,
    version_of,
)
from tickets.infrastructure.outbox.progress import LeaseLost, Progress
from tickets.infrastructure.outbox.store import OutboxStore
from tickets.infrastructure.outbox.subscriptions import (
    Connection,
    HandlerUnavailable,
    Subscription,
)
from tickets.infrastructure.upcasting import UPCASTERS

ATTEMPT = """INSERT INTO tickets.outbox_attempts (message_id, attempt, handler, error)
             VALUES ($1, $2, $3, $4)"""


class Dispatcher:
    def __init__(
        self,
        store: OutboxStore,
        subscriptions: Sequence[Subscription],
        metrics: OutboxMetrics | None = None,
    ) -> None:
        self.store = store
        self.subscriptions = list(subscriptions)
        self.metrics = metrics
        self._skipped: dict[str, list[str]] = {}

    def progress(self, subscription: Subscription) -> Progress:
        return Progress(subscription.schema)

    def skipped(self, subscription: Subscription) -> list[str]:
        """The stored event types ``subscription`` never wants, which its claims leave
        out (but for the last of a lane's page, which moves the lane past them)."""
        skip = self._skipped.get(subscription.name)
        if skip is None:
            stored = {*EVENT_TYPES, *UPCASTERS}
            skip = sorted(t for t in stored if not may_want(subscription, t))
            self._skipped[subscription.name] = skip
        return skip

    async def deliver(
        self, subscription: Subscription, lanes: dict[int, int], worker: str, batch: int
    ) -> Round:
        """One round over ``lanes`` (lane → position, updated in place on success)."""
        claimed, scanned = await self.store.claim_skipping(lanes, batch, self.skipped(subscription))
        result = Round(claimed=scanned)
        if not claimed:
            return result
        moves = {m.lane: (lanes[m.lane], m.position) for m in claimed}  # sorted: last wins
        # Only the events this subscription wants are decoded, chosen by their stored
        # type read as its current one (an unknown type is decoded, to park as poison).
        wanted = [m for m in claimed if may_want(subscription, m.event_type)]
        events, poison = decode(wanted)
        started = time.perf_counter()
        progress = self.progress(subscription)
        traces = deliveries(subscription.name, wanted)
        page = Page(subscription, progress, moves, wanted, events, poison, worker)
        try:
            if subscription.transactional:
                await self._in_transaction(page, result)
            else:
                await self._then_advance(page, result)
        except HandlerUnavailable as outage:
            result.postponed = outage.retry_after
            result.delivered, result.delivered_ids = 0, []
            if self.metrics is not None:
                self.metrics.postponed.labels(subscription.name).inc(len(wanted))
            if traces is not None:
                traces.postponed(subscription.name, wanted, describe(outage))
                traces.settle([], [])
            return result
        except BaseException as error:  # rolled back: the spans end, the round is redone
            if traces is not None:
                traces.abandon(error)
            raise
        if traces is not None:
            settle_spans(traces, subscription.name, result)
        for lane, (_, new) in moves.items():
            lanes[lane] = new
        await self._record(subscription, result)
        if self.metrics is not None:
            self.metrics.handled(subscription.name, time.perf_counter() - started)
            self.metrics.delivered.labels(subscription.name).inc(result.delivered)
        return result

    async def _in_transaction(self, page: Page, result: Round) -> None:
        subscription, events = page.subscription, page.events
        if not page.poison:
            # The usual case: the whole page in one transaction, no savepoint.
            try:
                async with subscription.pool.acquire() as connection, connection.transaction():
                    todo = await self._open(connection, page)
                    if todo:
                        await call_handler(subscription, connection, todo, events)
                    mark_delivered(result, todo)
                    return
            except (HandlerUnavailable, LeaseLost):
                raise
            except Exception as failure:
                if is_connection_error(failure):
                    raise  # the database is gone, not the page: the worker backs off
        # A failure (or an undecodable event): again, ticket by ticket under savepoints.
        async with subscription.pool.acquire() as connection, connection.transaction():
            todo = await self._open(connection, page)
            for first, error in await apply_isolating(
                connection, subscription, todo, events, page.poison
            ):
                await self._park(connection, subscription, page.progress, first, error, result)
            mark_delivered(result, todo)

    async def _open(self, connection: Connection, page: Page) -> list[OutboxMessage]:
        """The start of a delivery transaction: the fenced advance first (nothing is
        applied unless this worker still owns the lanes), then the page without the
        tickets parked for this subscription."""
        name = page.subscription.name
        await page.progress.advance(connection, name, page.worker, page.moves)
        parked = await page.progress.parked_among(connection, name, page.tickets())
        return [m for m in page.wanted if m.aggregate_id not in parked]

    async def _then_advance(self, page: Page, result: Round) -> None:
        subscription, progress, wanted = page.subscription, page.progress, page.wanted
        async with subscription.pool.acquire() as connection:
            parked = await progress.parked_among(connection, subscription.name, page.tickets())
        todo = [m for m in wanted if m.aggregate_id not in parked]
        failed = await self._publish(subscription, todo, page.events, page.poison)
        async with subscription.pool.acquire() as connection, connection.transaction():
            await progress.advance(connection, subscription.name, page.worker, page.moves)
            # A ticket skipped as parked may have been unparked since it was looked up,
            # its redelivery having stopped short of this page: park it again from the
            # first skipped event, so that the redelivery path publishes it.
            now_parked = await progress.parked_among(connection, subscription.name, list(parked))
            for ticket in parked - now_parked:
                first = min((m for m in wanted if m.aggregate_id == ticket), key=version_of)
                await progress.park(
                    connection, subscription.name, first, "unparked meanwhile", 0, 1 << 30, 0
                )
            for first, error in failed:
                await self._park(connection, subscription, progress, first, error, result)
        mark_delivered(result, todo)

    async def _publish(
        self,
        subscription: Subscription,
        todo: list[OutboxMessage],
        events: dict[UUID, DomainEvent],
        poison: dict[UUID, str],
    ) -> list[tuple[OutboxMessage, str]]:
        """Outside a transaction: the whole page at once, and only after a failure
        ticket by ticket."""
        if todo and not poison:
            try:
                await call_handler(subscription, None, todo, events)
                return []
            except HandlerUnavailable:
                raise
            except Exception as error:
                if is_connection_error(error):
                    raise
        return await apply_isolating(None, subscription, todo, events, poison)

    async def _park(
        self,
        connection: Connection,
        subscription: Subscription,
        progress: Progress,
        first: OutboxMessage,
        error: str,
        result: Round,
    ) -> None:
        policy = self.store.policy
        await progress.park(
            connection, subscription.name, first, error, policy.delay(1), policy.max_attempts
        )
        result.parked.append((first, error))

    async def _record(self, subscription: Subscription, result: Round) -> None:
        """The attempt history (write database), after the round committed."""
        for first, error in result.parked:
            await self.store.pool.execute(ATTEMPT, first.id, 1, subscription.name, error)
        if self.metrics is not None and result.parked:
            self.metrics.retried.labels(subscription.name).inc(len(result.parked))
