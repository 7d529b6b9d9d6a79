"""Delivers a claimed batch to every subscribed handler, exactly once in effect.

For each handler, the batch's messages go in one transaction: tracking rows first
(INSERT … ON CONFLICT DO NOTHING RETURNING tells which messages this handler has not
seen), then the effects of exactly those, in per-ticket version order. If that
transaction fails, the handler's messages are retried one per transaction to isolate
the poison; a failed message blocks its ticket's later messages in this batch. A
message is processed once every subscribed handler has its tracking row, so handlers
that already succeeded are never run again for it.

A handler whose downstream system is down (``HandlerUnavailable``, e.g. the message
broker) is an outage, not a poison message: its messages are postponed uncharged, and
the other handlers' effects of the same batch commit and are tracked as usual.
"""

import asyncio
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from tickets.domain.events import DomainEvent
from tickets.infrastructure.database import is_connection_error
from tickets.infrastructure.outbox.messages import OutboxMessage
from tickets.infrastructure.outbox.metrics import OutboxMetrics
from tickets.infrastructure.outbox.settlement import BatchReport, settle
from tickets.infrastructure.outbox.store import Failure, OutboxStore
from tickets.infrastructure.outbox.subscriptions import HandlerUnavailable, Subscription
from tickets.infrastructure.serialization import event_from_payload
from tickets.tracing import state as tracing

if TYPE_CHECKING:
    from tickets.tracing.delivery import Deliveries


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

    async def process(self, batch: list[OutboxMessage], worker: str) -> BatchReport:
        ordered = sorted(batch, key=lambda m: (m.aggregate_id, m.aggregate_version))
        if tracing.TRACER is None:
            return await self._process(ordered, worker, None)
        traces = _deliveries()
        tracing.DELIVERIES.set(
            traces
        )  # for the broker publisher's spans (gather's tasks inherit it)
        try:
            return await self._process(ordered, worker, traces)
        except BaseException as error:  # a lost database: the leases expire, the spans end
            traces.abandon(error)
            raise

    async def _process(
        self, ordered: list[OutboxMessage], worker: str, traces: "Deliveries | None"
    ) -> BatchReport:
        failures: dict[UUID, Failure] = {}
        events = self._decode(ordered, failures)
        decoded_failures = dict(failures)
        # Handlers are independent (own tables, own tracking rows): deliver to them
        # concurrently. Each keeps its own per-ticket order; a message is settled as
        # delivered only if every handler succeeded with it.
        per_handler = await asyncio.gather(
            *(
                self._deliver(subscription, ordered, events, dict(decoded_failures), traces)
                for subscription in self.subscriptions
            )
        )
        for handler_failures in per_handler:
            for message_id, failure in handler_failures.items():
                failures.setdefault(message_id, failure)
        report = await settle(self.store, ordered, failures, worker)
        if traces is not None:
            traces.settle([f.message.id for f in report.failed], report.dead_ids)
        if self.metrics is not None:
            self.metrics.settled(report)
        return report

    def _decode(
        self, messages: list[OutboxMessage], failures: dict[UUID, Failure]
    ) -> dict[UUID, DomainEvent]:
        events: dict[UUID, DomainEvent] = {}
        for m in messages:
            try:
                events[m.id] = event_from_payload(m.event_type, m.payload)
            except Exception as error:  # an undecodable event is a poison message
                failures[m.id] = Failure(m, "decode", _describe(error))
        return events

    async def _deliver(
        self,
        subscription: Subscription,
        messages: list[OutboxMessage],
        events: dict[UUID, DomainEvent],
        failures: dict[UUID, Failure],
        traces: "Deliveries | None" = None,
    ) -> dict[UUID, Failure]:
        """Deliver to one handler; returns ``failures`` with this handler's added."""
        blocked = {failures[m.id].message.aggregate_id for m in messages if m.id in failures}
        todo = [  # by the decoded (upcast) type: a stored v1 row is read as the current version
            m
            for m in messages
            if m.id in events
            and subscription.wants(events[m.id].event_type)
            and m.aggregate_id not in blocked
        ]
        if not todo:
            return failures
        if traces is not None:
            traces.open(subscription.name, todo)
        if len(todo) > 1:  # the fast path: the whole batch in one transaction
            try:
                await self._apply(subscription, todo, events, traces)
                return failures
            except HandlerUnavailable as outage:
                return _postpone(todo, subscription.name, outage, failures, traces)
            except Exception as error:
                if is_connection_error(error):
                    raise  # the database is gone, not the message: the worker backs off
        for i, m in enumerate(todo):  # one transaction per message isolates the failing one
            if m.aggregate_id in blocked:
                continue
            try:
                await self._apply(subscription, [m], events, traces)
            except HandlerUnavailable as outage:
                return _postpone(todo[i:], subscription.name, outage, failures, traces)
            except Exception as error:
                if is_connection_error(error):
                    raise
                failures[m.id] = Failure(m, subscription.name, _describe(error))
                blocked.add(m.aggregate_id)
        return failures

    async def _apply(
        self,
        subscription: Subscription,
        messages: list[OutboxMessage],
        events: dict[UUID, DomainEvent],
        traces: "Deliveries | None" = None,
    ) -> None:
        work = self._run(subscription, messages, events)
        if traces is None:
            await work
        else:  # records the outcome on the messages' delivery spans
            await traces.observe(subscription.name, messages, work, HandlerUnavailable)

    async def _run(
        self,
        subscription: Subscription,
        messages: list[OutboxMessage],
        events: dict[UUID, DomainEvent],
    ) -> None:
        started = time.perf_counter()
        track = (
            f"INSERT INTO {subscription.tracking_table} ({subscription.name_column}, message_id)"
            " SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING message_id"
        )
        async with subscription.pool.acquire() as connection, connection.transaction():
            # A concurrent delivery of the same message waits here on the primary key
            # and then sees a conflict: only one transaction applies each effect.
            rows = await connection.fetch(track, subscription.name, [m.id for m in messages])
            fresh = {r["message_id"] for r in rows}
            handler = subscription.handler
            deliver = getattr(handler, "deliver", None)
            apply_batch = getattr(handler, "apply_batch", None)
            if deliver is not None:  # envelope handlers see the outbox message too
                await deliver(connection, [(m, events[m.id]) for m in messages if m.id in fresh])
            elif apply_batch is not None:  # set-based handlers take the batch at once
                await apply_batch(connection, [events[m.id] for m in messages if m.id in fresh])
            else:
                for m in messages:
                    if m.id in fresh:
                        await handler.apply(connection, events[m.id])  # type: ignore[union-attr]
        if self.metrics is not None:
            self.metrics.handled(subscription.name, time.perf_counter() - started)


def _postpone(
    messages: list[OutboxMessage],
    handler: str,
    outage: HandlerUnavailable,
    failures: dict[UUID, Failure],
    traces: "Deliveries | None" = None,
) -> dict[UUID, Failure]:
    """Record an outage for these messages: retried later, no attempt charged."""
    if traces is not None:
        traces.postponed(handler, messages, _describe(outage))
    for m in messages:
        failures[m.id] = Failure(m, handler, _describe(outage), outage.retry_after)
    return failures


def _deliveries() -> "Deliveries":
    from tickets.tracing.delivery import Deliveries

    return Deliveries()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:4000]
