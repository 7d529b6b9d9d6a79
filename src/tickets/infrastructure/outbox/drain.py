"""drain(): deliver until the outbox is quiet, so tests never sleep and hope."""

import asyncio
import time

from tickets.infrastructure.outbox.dispatcher import Dispatcher


class DrainTimeout(AssertionError):
    """The outbox did not become quiet in time."""


async def drain(
    dispatcher: Dispatcher,
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 - a deadline across many awaits
    batch_size: int = 500,
    worker: str = "drain",
) -> int:
    """Claim and deliver until no message is deliverable; returns how many were delivered.

    Quiet means: nothing pending except messages held behind a dead letter. Messages in
    retry backoff or leased by another worker are waited for (briefly polled).
    """
    store = dispatcher.store
    deadline = time.monotonic() + timeout
    delivered = 0
    while True:
        batch = await store.claim(worker, batch_size, lease_seconds=30.0)
        if batch:
            report = await dispatcher.process(batch, worker)
            delivered += len(report.delivered)
            continue
        if not await store.has_deliverable():
            return delivered
        if time.monotonic() > deadline:
            stats = await store.stats()
            raise DrainTimeout(f"outbox not quiet after {timeout}s: {stats}")
        await asyncio.sleep(0.01)
