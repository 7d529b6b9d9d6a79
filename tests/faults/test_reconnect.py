"""A worker survives a database restart: it backs off, reconnects, logs the outage once
(not once per try), and delivers what arrived meanwhile."""

import asyncio
import logging
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.conftest import settings_for
from tests.faults.conftest import dispatcher_for, effects
from tests.faults.recording_handlers import EFFECTS_DDL, Recorder
from tests.faults.waiting import eventually
from tickets.bootstrap import open_runtime
from tickets.infrastructure.embedded import start_embedded
from tickets.infrastructure.outbox.worker import OutboxWorker, WorkerConfig, WorkerState
from tickets.testing.synthetic_events import insert_events, ticket_events


async def test_worker_reconnects_after_a_database_restart(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="tickets-restart-"))
    server = await asyncio.to_thread(start_embedded, data_dir)
    try:
        async with open_runtime(settings_for(server.url)) as runtime:
            await runtime.pools.write.execute(EFFECTS_DDL)
            dispatcher = dispatcher_for(runtime, Recorder())
            config = WorkerConfig(poll_seconds=0.2, max_backoff_seconds=1.0)
            worker = OutboxWorker(server.url, dispatcher.store, dispatcher, config)
            stop = asyncio.Event()
            task = asyncio.create_task(worker.run(stop))
            before, after = uuid.uuid4(), uuid.uuid4()

            async def delivered(ticket: uuid.UUID) -> bool:
                return (ticket, 1) in await effects(runtime.pools.write, "recorder")

            await insert_events(runtime.pools.write, ticket_events(before, 1))
            await eventually(lambda: delivered(before), within=10)

            with caplog.at_level(logging.WARNING, logger="tickets.worker"):
                await asyncio.to_thread(server.stop)  # the database goes away
                await asyncio.sleep(3)  # several reconnect attempts fail meanwhile
                assert worker.state is WorkerState.RECONNECTING
                assert not task.done(), "no crash"
                server = await asyncio.to_thread(start_embedded, data_dir)
                await eventually(
                    lambda: asyncio.sleep(0, worker.state is WorkerState.RUNNING), within=10
                )

                await insert_events(runtime.pools.write, ticket_events(after, 1))
                await eventually(lambda: delivered(after), within=10)

            messages = [r.getMessage() for r in caplog.records if r.name == "tickets.worker"]
            assert sum("lost the database" in m for m in messages) == 1
            assert sum("reconnected" in m for m in messages) == 1
            stop.set()
            await asyncio.wait_for(task, 10)
    finally:
        await asyncio.to_thread(server.stop)
        shutil.rmtree(data_dir, ignore_errors=True)
