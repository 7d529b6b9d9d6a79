"""The redelivery path: a parked ticket's events, given again to its subscription when due.

A parked ticket (progress.py) holds its events back for one subscription; its lane has
moved on without them. When its retry is due, its events from the parked version up to
the lane's position are delivered in version order. Under the lane row's share lock
(the fenced advance of the lane waits for it) the parked row is then removed, so the
lane delivers the ticket's later events itself: each event goes exactly one way. A
failure counts an attempt and schedules the next with backoff and jitter; after the
last attempt the ticket is dead for this subscription (a dead letter).
"""

from dataclasses import replace
from typing import TYPE_CHECKING
from uuid import UUID

from tickets.infrastructure.database import is_connection_error
from tickets.infrastructure.outbox.dispatcher import ATTEMPT, Dispatcher
from tickets.infrastructure.outbox.isolation import call_handler, describe
from tickets.infrastructure.outbox.lanes import lane_of
from tickets.infrastructure.outbox.messages import OutboxMessage
from tickets.infrastructure.outbox.pages import decode, deliveries
from tickets.infrastructure.outbox.progress import Progress
from tickets.infrastructure.outbox.subscriptions import (
    Connection,
    HandlerUnavailable,
    Subscription,
)

if TYPE_CHECKING:
    from tickets.tracing.delivery import Deliveries

DUE = """SELECT aggregate_id FROM {s}.subscription_parked
          WHERE subscription = $1 AND status = 'retrying' AND next_attempt_at <= now()
          ORDER BY next_attempt_at LIMIT $2"""
LOCK = """SELECT from_version, attempts FROM {s}.subscription_parked
           WHERE subscription = $1 AND aggregate_id = $2 AND status = 'retrying'
             AND next_attempt_at <= now()
             FOR UPDATE SKIP LOCKED"""
LANE = """SELECT position FROM {s}.subscription_lanes
           WHERE subscription = $1 AND lane = $2 FOR SHARE"""
MOVE = """UPDATE {s}.subscription_parked SET from_version = $3
           WHERE subscription = $1 AND aggregate_id = $2"""
DONE = "DELETE FROM {s}.subscription_parked WHERE subscription = $1 AND aggregate_id = $2"
# A failure of the same event counts one more attempt; of a later one (the events before
# it went through), a first. SET expressions all read the row as it was.
FAILED = """UPDATE {s}.subscription_parked
               SET attempts = CASE WHEN message_id = $4 THEN attempts + 1 ELSE 1 END,
                   status = CASE WHEN message_id = $4 AND attempts + 1 >= $5 THEN 'dead'
                                 ELSE 'retrying' END,
                   last_error = $3, message_id = $4, from_version = $7,
                   next_attempt_at = now() + make_interval(secs => $6)
             WHERE subscription = $1 AND aggregate_id = $2
            RETURNING attempts"""


async def redeliver_due(dispatcher: Dispatcher, subscription: Subscription, limit: int = 20) -> int:
    """Try the parked tickets whose retry is due; returns how many were unparked.
    HandlerUnavailable propagates (the subscription is postponed, nothing charged)."""
    progress = Progress(subscription.schema)
    async with subscription.pool.acquire() as connection:
        due = [r[0] for r in await connection.fetch(progress.sql(DUE), subscription.name, limit)]
    unparked = 0
    for ticket in due:
        unparked += await _redeliver(dispatcher, subscription, progress, ticket)
    return unparked


async def _redeliver(
    dispatcher: Dispatcher, subscription: Subscription, progress: Progress, ticket: UUID
) -> int:
    name, store = subscription.name, dispatcher.store
    published = 0  # outside a transaction: the highest version the handler already took
    while True:
        if not subscription.transactional:
            async with subscription.pool.acquire() as connection:
                row = await connection.fetchrow(
                    progress.sql(LOCK.replace(" FOR UPDATE SKIP LOCKED", "")), name, ticket
                )
                if row is None:
                    return 0
                up_to = await connection.fetchval(
                    progress.sql(LANE.replace(" FOR SHARE", "")), name, lane_of(ticket)
                )
            page = await store.ticket_events(ticket, max(row["from_version"], published + 1), up_to)
            if page and not await _try(
                dispatcher, subscription, progress, None, ticket, page, row["attempts"]
            ):
                return 0
            published = max([published, *(m.aggregate_version for m in page)])
        async with subscription.pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(progress.sql(LOCK), name, ticket)
            if row is None:  # another worker has it, or it is not due any more
                return 0
            up_to = await connection.fetchval(progress.sql(LANE), name, lane_of(ticket))
            start = max(row["from_version"], published + 1)
            page = await store.ticket_events(ticket, start, up_to)
            if page and subscription.transactional:
                if not await _try(
                    dispatcher, subscription, progress, connection, ticket, page, row["attempts"]
                ):
                    return 0
                await connection.execute(
                    progress.sql(MOVE), name, ticket, page[-1].aggregate_version + 1
                )
                continue
            if page:  # published meanwhile up to an older lane position: go round again
                await connection.execute(
                    progress.sql(MOVE), name, ticket, page[0].aggregate_version
                )
                continue
            await connection.execute(progress.sql(DONE), name, ticket)
            return 1


async def _try(
    dispatcher: Dispatcher,
    subscription: Subscription,
    progress: Progress,
    connection: Connection | None,
    ticket: UUID,
    page: list[OutboxMessage],
    attempts: int,
) -> bool:
    """Deliver one ticket's page, event by event; at a failure, record the attempt
    against the failing event (in ``connection``'s transaction when there is one, with
    the ticket parked from there: the events before it keep their effect) and return
    False."""
    events, poison = decode(page)
    traces = deliveries(subscription.name, [replace(m, attempts=attempts) for m in page])
    done = []
    for m in page:
        try:
            if m.id in poison:
                raise ValueError(poison[m.id])
            if subscription.wants(events[m.id].event_type):
                if connection is None:
                    await call_handler(subscription, None, [m], events)
                else:
                    async with connection.transaction():
                        await call_handler(subscription, connection, [m], events)
            done.append(m.id)
        except HandlerUnavailable as outage:
            if traces is not None:
                traces.postponed(subscription.name, page, describe(outage))
                traces.settle([], [])
            raise
        except Exception as error:
            if is_connection_error(error):
                if traces is not None:
                    traces.abandon(error)
                raise
            dead = await _failed(
                dispatcher, subscription, progress, connection, ticket, m, describe(error), attempts
            )
            if traces is not None:
                _spans(traces, subscription.name, done)
                traces.failed(subscription.name, [m], describe(error))
                traces.settle([] if dead else [m.id], [m.id] if dead else [])
            return False
    if traces is not None:
        _spans(traces, subscription.name, done)
        traces.settle([], [])
    return True


def _spans(traces: "Deliveries", subscription: str, delivered: list[UUID]) -> None:
    for message_id in delivered:
        traces.outcomes[(subscription, message_id)] = "delivered"


async def _failed(
    dispatcher: Dispatcher,
    subscription: Subscription,
    progress: Progress,
    connection: Connection | None,
    ticket: UUID,
    first: OutboxMessage,
    error: str,
    attempts: int,
) -> bool:
    """Record a failed attempt; True when the ticket is now dead for the subscription."""
    policy = dispatcher.store.policy
    args = (
        subscription.name,
        ticket,
        error,
        first.id,
        policy.max_attempts,
        policy.delay(attempts + 1),
        first.aggregate_version,
    )
    if connection is not None:
        attempt = await connection.fetchval(progress.sql(FAILED), *args)
    else:
        async with subscription.pool.acquire() as own:
            attempt = await own.fetchval(progress.sql(FAILED), *args)
    await dispatcher.store.pool.execute(
        ATTEMPT, first.id, attempt or attempts + 1, subscription.name, error
    )
    if dispatcher.metrics is not None:
        dispatcher.metrics.retried.labels(subscription.name).inc()
    return bool(attempt is not None and attempt >= policy.max_attempts)
