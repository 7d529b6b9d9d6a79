"""drain(): deliver until every subscription has caught up, so tests never sleep and hope."""

import asyncio
import time

from tickets.infrastructure.outbox.dispatcher import Dispatcher
from tickets.infrastructure.outbox.lag import subscription_lags
from tickets.infrastructure.outbox.redelivery import redeliver_due


class DrainTimeout(AssertionError):
    """The outbox did not become quiet in time."""


async def drain(
    dispatcher: Dispatcher,
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 - a deadline across many awaits
    batch_size: int = 500,
    worker: str = "drain",
) -> int:
    """Deliver to every subscription until each has reached the head of the log and no
    parked ticket is due; returns how many events were delivered.

    Quiet means: every lane at the head, and parked tickets dead or not yet due (a due
    retry is waited for, polled briefly). The drain's worker gives its lanes up at the
    end, so a worker started later takes them at once.
    """
    store = dispatcher.store
    deadline = time.monotonic() + timeout
    delivered: set[object] = set()
    try:
        while True:
            await store.sequence(max_runs=1 << 30)  # everything committed
            busy = False
            for subscription in dispatcher.subscriptions:
                progress = dispatcher.progress(subscription)
                async with subscription.pool.acquire() as connection:
                    lanes = await progress.lease(connection, subscription.name, worker, 30.0)
                result = await dispatcher.deliver(subscription, lanes, worker, batch_size)
                delivered.update(result.delivered_ids)
                busy = busy or result.claimed > 0 or result.postponed is not None
                busy = busy or await redeliver_due(dispatcher, subscription) > 0
            if not busy and not await _retry_due(dispatcher) and await _caught_up(dispatcher):
                return len(delivered)
            if time.monotonic() > deadline:
                lags = await subscription_lags(store, dispatcher.subscriptions)
                raise DrainTimeout(f"outbox not quiet after {timeout}s: {lags}")
            if not busy:
                await asyncio.sleep(0.01)
    finally:
        for subscription in dispatcher.subscriptions:
            async with subscription.pool.acquire() as connection:
                await dispatcher.progress(subscription).leave(connection, worker)


async def _caught_up(dispatcher: Dispatcher) -> bool:
    """Is every lane of every subscription at the end of the log? (Lanes another worker
    leases are waited for: they are its to deliver, or free once its lease expired.)"""
    lags = await subscription_lags(dispatcher.store, dispatcher.subscriptions)
    return all(lag.lag_events == 0 for lag in lags)


async def _retry_due(dispatcher: Dispatcher) -> bool:
    """Is a parked ticket of any subscription waiting for a retry (due now or later)?"""
    for subscription in dispatcher.subscriptions:
        schema = subscription.schema
        async with subscription.pool.acquire() as connection:
            waiting = await connection.fetchval(
                f"SELECT EXISTS (SELECT 1 FROM {schema}.subscription_parked"
                " WHERE subscription = $1 AND status = 'retrying')",
                subscription.name,
            )
        if waiting:
            return True
    return False
