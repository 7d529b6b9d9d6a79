"""Running the outbox worker and, beside it, the retention task for as long as a block
lasts (the API process with TICKETS_RUN_WORKER, `tickets worker`, tests)."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tickets.bootstrap.runtime import Runtime
from tickets.infrastructure.outbox.worker import OutboxWorker

log = logging.getLogger("tickets")


@asynccontextmanager
async def running_worker(
    runtime: Runtime, concurrency: int | None = None
) -> AsyncIterator[OutboxWorker]:
    """Run an outbox worker, and beside it the retention task, until the block exits;
    the worker finishes its batch before stopping."""
    worker = runtime.worker(concurrency)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="outbox-worker")
    pruning = asyncio.create_task(runtime.pruner().run(stop), name="retention")
    try:
        yield worker
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, runtime.settings.outbox_lease_seconds)
        except TimeoutError:
            log.warning("outbox worker did not stop in time; its leases will expire")
        try:  # a batch is one short transaction: cancelled, it rolls back
            await asyncio.wait_for(pruning, runtime.settings.worker_command_timeout_seconds)
        except TimeoutError:
            log.warning("retention task did not stop in time")
