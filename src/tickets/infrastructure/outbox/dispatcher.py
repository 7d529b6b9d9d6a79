"""Delivers one subscription's next page of the log, exactly once in effect.

A round: claim a page after the positions of the lanes this worker leases, then, in
one transaction in the subscription's home database, (1) the fenced advance of those
lanes to the page's last positions (progress.py), (2) skip the tickets parked for this
subscription, (3) apply the rest. Effect and position commit together, so a redelivery
of a page can only happen if the transaction did not commit: exactly-once in effect,
with no tracking row per message.

If applying the page fails, it is applied again ticket by ticket under savepoints; a
ticket whose events fail is parked for this subscription (retried later with backoff
and jitter, by redelivery.py) and the lane moves on: other tickets, and other
subscriptions, keep flowing. A ``HandlerUnavailable`` (the downstream is down) rolls
the round back uncharged and postpones this subscription only.

A handler outside any transaction (the broker) is called first, with no transaction
open; its lanes advance after it returned: at least once, never a transaction held
while it waits for confirms.
"""

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from tickets.domain.events import EVENT_TYPES, DomainEvent
from tickets.infrastructure.database import is_connection_error
from tickets.infrastructure.outbox.messages import OutboxMessage
from tickets.infrastructure.outbox.metrics import OutboxMetrics
from tickets.infrastructure.outbox.progress import LeaseLost, Progress
from tickets.infrastructure.outbox.store import OutboxStore
from tickets.infrastructure.outbox.subscriptions import (
    Connection,
    HandlerUnavailable,
    Subscription,
)
from tickets.infrastructure.serialization import event_from_payload
from tickets.infrastructure.upcasting import UPCASTERS, current_type
from tickets.tracing import state as tracing

if TYPE_CHECKING:
    from tickets.tracing.delivery import Deliveries

ATTEMPT = """INSERT INTO tickets.outbox_attempts (message_id, attempt, handler, error)
             VALUES ($1, $2, $3, $4)"""


@dataclass
class Round:
    claimed: int = 0
    delivered: int = 0
    delivered_ids: list[UUID] = field(default_factory=list)
    parked: list[tuple[OutboxMessage, str]] = field(default_factory=list)
    postponed: float | None = None
    """Seconds to wait: the handler's downstream is down."""


@dataclass(frozen=True)
class Page:
    """One round's claimed page for one subscription, with what delivering it needs."""

    subscription: Subscription
    progress: Progress
    moves: dict[int, tuple[int, int]]
    """lane → (position before, position after the page)"""
    wanted: list[OutboxMessage]
    events: dict[UUID, DomainEvent]
    poison: dict[UUID, str]
    worker: str

    def tickets(self) -> list[UUID]:
        return list({m.aggregate_id for m in self.wanted})


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
            _settle_spans(traces, subscription.name, result)
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
                    _delivered(result, todo)
                    return
            except (HandlerUnavailable, LeaseLost):
                raise
            except Exception as failure:
                if is_connection_error(failure):
                    raise  # the database is gone, not the page: the worker backs off
        # A failure (or an undecodable event): again, ticket by ticket under savepoints.
        async with subscription.pool.acquire() as connection, connection.transaction():
            todo = await self._open(connection, page)
            for first, error in await self._apply_isolating(
                connection, subscription, todo, events, page.poison
            ):
                await self._park(connection, subscription, page.progress, first, error, result)
            _delivered(result, todo)

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
                first = min((m for m in wanted if m.aggregate_id == ticket), key=_version)
                await progress.park(
                    connection, subscription.name, first, "unparked meanwhile", 0, 1 << 30, 0
                )
            for first, error in failed:
                await self._park(connection, subscription, progress, first, error, result)
        _delivered(result, todo)

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
        return await self._apply_isolating(None, subscription, todo, events, poison)

    async def _apply_isolating(
        self,
        connection: Connection | None,
        subscription: Subscription,
        todo: list[OutboxMessage],
        events: dict[UUID, DomainEvent],
        poison: dict[UUID, str],
    ) -> list[tuple[OutboxMessage, str]]:
        """Apply ``todo`` ticket by ticket (under savepoints in a transaction). Returns
        each failed ticket's failing message with its error; HandlerUnavailable and a
        lost database propagate."""
        by_ticket: dict[UUID, list[OutboxMessage]] = defaultdict(list)
        for m in sorted(todo, key=lambda m: (m.aggregate_id, m.aggregate_version)):
            by_ticket[m.aggregate_id].append(m)
        failed: list[tuple[OutboxMessage, str]] = []
        for ticket, messages in list(by_ticket.items()):
            bad = next((i for i, m in enumerate(messages) if m.id in poison), None)
            if bad is not None:  # undecodable: the events before it still go
                failed.append((messages[bad], poison[messages[bad].id]))
                by_ticket[ticket] = messages[:bad]
        failed_early = {m.aggregate_id for m, _ in failed}
        for messages in by_ticket.values():
            if not messages:
                continue
            try:
                await self._apply(connection, subscription, messages, events)
            except HandlerUnavailable:
                raise
            except Exception as error:
                if is_connection_error(error):
                    raise
                if messages[0].aggregate_id in failed_early:
                    failed = [f for f in failed if f[0].aggregate_id != messages[0].aggregate_id]
                first = await self._first_failing(connection, subscription, messages, events, error)
                failed.append(first)
        return failed

    async def _first_failing(
        self,
        connection: Connection | None,
        subscription: Subscription,
        messages: list[OutboxMessage],
        events: dict[UUID, DomainEvent],
        error: Exception,
    ) -> tuple[OutboxMessage, str]:
        """One ticket's events one at a time, up to the one that fails: those before it
        keep their effect, and the ticket is parked from the failing one."""
        if len(messages) == 1:
            return messages[0], describe(error)
        for m in messages:
            try:
                await self._apply(connection, subscription, [m], events)
            except HandlerUnavailable:
                raise
            except Exception as single:
                if is_connection_error(single):
                    raise
                return m, describe(single)
        return messages[0], describe(error)  # fails only as a whole: park it whole

    async def _apply(
        self,
        connection: Connection | None,
        subscription: Subscription,
        messages: list[OutboxMessage],
        events: dict[UUID, DomainEvent],
    ) -> None:
        """Apply under a savepoint (inside a transaction) so a failure undoes only this."""
        if connection is None:
            await call_handler(subscription, None, messages, events)
            return
        async with connection.transaction():
            await call_handler(subscription, connection, messages, events)

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


async def call_handler(
    subscription: Subscription,
    connection: Connection | None,
    messages: list[OutboxMessage],
    events: dict[UUID, DomainEvent],
) -> None:
    await subscription.handler.deliver(connection, [(m, events[m.id]) for m in messages])


def may_want(subscription: Subscription, stored_type: str) -> bool:
    """Whether a stored event can matter to ``subscription``: it wants its current type,
    or the type is unknown (it must be decoded to be parked as poison)."""
    current = current_type(stored_type)
    return current not in EVENT_TYPES or subscription.wants(current)


def decode(messages: Sequence[OutboxMessage]) -> tuple[dict[UUID, DomainEvent], dict[UUID, str]]:
    """The messages' events (upcast to the current version), and the undecodable ones'
    errors: an event that cannot be decoded is a poison message."""
    events: dict[UUID, DomainEvent] = {}
    poison: dict[UUID, str] = {}
    for m in messages:
        try:
            events[m.id] = event_from_payload(m.event_type, m.payload)
        except Exception as error:
            poison[m.id] = describe(error)
    return events, poison


def deliveries(subscription: str, wanted: list[OutboxMessage]) -> "Deliveries | None":
    """The delivery spans of this round (one per message), when tracing is on; the
    broker publisher's spans find them through the context variable."""
    if tracing.TRACER is None or not wanted:
        return None
    from tickets.tracing.delivery import Deliveries

    traces = Deliveries()
    tracing.DELIVERIES.set(traces)
    traces.open(subscription, wanted)
    return traces


def _settle_spans(traces: "Deliveries", subscription: str, result: Round) -> None:
    for message_id in result.delivered_ids:
        traces.outcomes[(subscription, message_id)] = "delivered"
    for first, error in result.parked:
        traces.failed(subscription, [first], error)
    traces.settle([first.id for first, _ in result.parked], [])


def _delivered(result: Round, todo: list[OutboxMessage]) -> None:
    failed = {first.aggregate_id: first.aggregate_version for first, _ in result.parked}
    result.delivered_ids = [
        m.id for m in todo if m.aggregate_version < failed.get(m.aggregate_id, 1 << 31)
    ]
    result.delivered = len(result.delivered_ids)


def _version(m: OutboxMessage) -> int:
    return m.aggregate_version


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:4000]
