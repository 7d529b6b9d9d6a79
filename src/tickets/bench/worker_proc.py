"""A benchmark worker process: python -m tickets.bench.worker_proc URL HANDLERS."""

import asyncio
import signal
import sys

from tickets import event_loop
from tickets.bench.databases import bench_settings
from tickets.bench.handler_sets import subscriptions_for
from tickets.bootstrap import open_runtime
from tickets.infrastructure.outbox.dispatcher import Dispatcher
from tickets.infrastructure.outbox.worker import OutboxWorker, WorkerConfig


async def run(url: str, handlers: str) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with open_runtime(bench_settings(url)) as runtime:
        dispatcher = Dispatcher(runtime.store, subscriptions_for(handlers, runtime.pools.write))
        worker = OutboxWorker(url, runtime.store, dispatcher, WorkerConfig(poll_seconds=0.2))
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # "go": all workers start together
        await worker.run(stop)


if __name__ == "__main__":
    event_loop.run(run(sys.argv[1], sys.argv[2]))
