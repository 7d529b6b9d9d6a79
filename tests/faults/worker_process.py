"""A worker process for fault tests: the real OutboxWorker delivering to a Recorder.

Usage: python -m tests.faults.worker_process DATABASE_URL [--delay S] [--lease S]
[--concurrency N]. Prints "ready" once running; SIGTERM stops it gracefully.
"""

import argparse
import asyncio
import signal

from tests.conftest import settings_for
from tests.faults.conftest import dispatcher_for
from tests.faults.recording_handlers import Recorder
from tickets.bootstrap import open_runtime
from tickets.infrastructure.outbox.worker import OutboxWorker, WorkerConfig


async def run(url: str, delay: float, lease: float, concurrency: int, batch: int) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with open_runtime(settings_for(url)) as runtime:
        dispatcher = dispatcher_for(runtime, Recorder(delay=delay))
        config = WorkerConfig(
            batch_size=batch, lease_seconds=lease, poll_seconds=0.5, concurrency=concurrency
        )
        worker = OutboxWorker(url, dispatcher.store, dispatcher, config)
        task = asyncio.create_task(worker.run(stop))
        print("ready", flush=True)
        await task


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(run(args.url, args.delay, args.lease, args.concurrency, args.batch))


if __name__ == "__main__":
    main()
