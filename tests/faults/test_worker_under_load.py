"""A slow database is not a lost one: the worker's statements wait longer than a
request's, its metrics can neither stop nor hold up delivery, and a database that
hangs for good is still noticed (after the worker's own bound)."""

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import asyncpg
import pytest

from tests.conftest import settings_for
from tests.faults.waiting import eventually
from tests.integration.conftest import context, register
from tests.support.tcp_proxy import proxy_to_database, through
from tickets.application.commands import CreateTicket
from tickets.bootstrap import Runtime, open_runtime
from tickets.infrastructure.outbox.drain import drain
from tickets.infrastructure.outbox.lag import SubscriptionLag
from tickets.infrastructure.outbox.worker import OutboxWorker, WorkerState
from tickets.testing.synthetic_events import insert_events, ticket_events

STOPS_WITHIN = 10.0
REQUEST_BOUND = 1.0  # seconds: the statement bound of the API's pools in these tests


def quick(worker: OutboxWorker) -> OutboxWorker:
    """Short polling and frequent statistics, so a test sees many rounds of both."""
    worker.config = dataclasses.replace(worker.config, poll_seconds=0.1, stats_seconds=0.05)
    return worker


@asynccontextmanager
async def running(worker: OutboxWorker) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await eventually(lambda: asyncio.sleep(0, worker.state is WorkerState.RUNNING), within=10)
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, STOPS_WITHIN)


async def projected(runtime: Runtime, ticket: uuid.UUID, version: int) -> bool:
    sql = "SELECT version FROM read.ticket_list WHERE ticket_id = $1"
    return bool(await runtime.pools.read.fetchval(sql, ticket) == version)


def worker_lines(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(text in r.getMessage() for r in caplog.records if r.name == "tickets.worker")


@pytest.mark.parametrize("failure", ["raises", "hangs"])
async def test_statistics_that_fail_or_hang_never_stop_delivery(
    runtime: Runtime,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    worker = quick(runtime.worker())
    asked = 0

    async def broken() -> list[SubscriptionLag]:
        nonlocal asked
        asked += 1
        if failure == "hangs":
            await asyncio.Event().wait()  # a statement that never ends
        raise TimeoutError  # what asyncpg raises past the statement bound

    monkeypatch.setattr(worker, "statistics", broken)
    with caplog.at_level(logging.WARNING, logger="tickets.worker"):
        async with running(worker):
            minimum = 3 if failure == "raises" else 1
            await eventually(lambda: asyncio.sleep(0, asked >= minimum), within=10)
            for ticket in (uuid.uuid4(), uuid.uuid4(), uuid.uuid4()):
                # delivery flows while the statistics keep failing
                await insert_events(runtime.pools.write, ticket_events(ticket, 3))
                await eventually(partial(projected, runtime, ticket, 3), within=10)
            assert worker.state is WorkerState.RUNNING
        # a hanging statistics query does not hold up a stop
        assert worker.state is WorkerState.STOPPED

    assert worker_lines(caplog, "lost the database") == 0
    assert worker_lines(caplog, "batch failed") == 0
    assert worker_lines(caplog, "statistics failed") == (1 if failure == "raises" else 0)


async def test_a_statement_slower_than_a_request_may_take_is_no_lost_database(
    fault_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker transaction waits on a count row another transaction holds, longer than
    the API's statement bound: it waits, then delivers, and never reconnects."""
    settings = settings_for(fault_db, db_command_timeout_seconds=REQUEST_BOUND)
    async with open_runtime(settings) as runtime:
        author = await register(runtime)
        await runtime.bus.handle(CreateTicket(actor=author, title="first"), context())
        await drain(runtime.dispatcher)  # the author's count row exists now
        second = await runtime.bus.handle(CreateTicket(actor=author, title="second"), context())

        holder = await asyncpg.connect(fault_db)
        try:
            hold = holder.transaction()
            await hold.start()
            lock = "SELECT 1 FROM read.status_counts WHERE author_id = $1 FOR UPDATE"
            await holder.execute(lock, author.id)
            worker = quick(runtime.worker())
            with caplog.at_level(logging.WARNING, logger="tickets.worker"):
                async with running(worker):

                    async def waited_past_the_request_bound() -> bool:
                        waiting = """SELECT count(*) FROM pg_stat_activity
                            WHERE datname = current_database() AND wait_event_type = 'Lock'
                              AND query LIKE '%read.status_counts%'
                              AND now() - query_start > make_interval(secs => $1)"""
                        # not on ``holder``: a transaction sees one snapshot of this view
                        return bool(
                            await runtime.pools.write.fetchval(waiting, 1.5 * REQUEST_BOUND)
                        )

                    await eventually(waited_past_the_request_bound, within=15)
                    await hold.rollback()
                    ticket = second.result.id
                    await eventually(lambda: projected(runtime, ticket, 1), within=10)
                    assert worker.state is WorkerState.RUNNING
        finally:
            await holder.close()

    assert worker_lines(caplog, "lost the database") == 0
    assert worker_lines(caplog, "reconnected") == 0


async def test_a_database_that_hangs_is_still_noticed_after_the_worker_bound(
    fault_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with proxy_to_database(fault_db) as proxy:
        settings = settings_for(through(proxy, fault_db), worker_command_timeout_seconds=2.0)
        async with open_runtime(settings) as runtime:
            worker = quick(runtime.worker())
            with caplog.at_level(logging.WARNING, logger="tickets.worker"):
                async with running(worker):
                    proxy.hang()
                    await eventually(
                        lambda: asyncio.sleep(0, worker.state is WorkerState.RECONNECTING),
                        within=15,
                    )
                    await proxy.restore()
                    await eventually(
                        lambda: asyncio.sleep(0, worker.state is WorkerState.RUNNING), within=15
                    )
                    ticket = uuid.uuid4()
                    await insert_events(runtime.pools.write, ticket_events(ticket, 2))
                    await eventually(lambda: projected(runtime, ticket, 2), within=10)

    assert worker_lines(caplog, "lost the database") == 1
    assert worker_lines(caplog, "reconnected") == 1
