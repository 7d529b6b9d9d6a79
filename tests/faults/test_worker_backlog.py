"""Two workers on a seeded backlog (few authors, so their batches share the hot status
count rows): a backlog only makes delivery take longer. No worker reconnects or fails a
batch, no transaction deadlocks, and the counts match the tickets exactly."""

import asyncio
import logging
import os
import sys
from contextlib import AsyncExitStack

import pytest

from tests.conftest import TEST_SECRET, settings_for
from tests.faults.processes import ROOT
from tests.faults.test_worker_under_load import quick, running, worker_lines
from tests.faults.waiting import eventually
from tickets.bench.databases import NOTHING_PENDING
from tickets.bootstrap import open_runtime
from tickets.infrastructure.outbox.worker import WorkerState

TICKETS = 2000
REQUEST_BOUND = 0.5  # seconds: far below what a worker statement may take under load
SLOW = 30.0  # seconds: the bound of this test's own queries, which nobody races
COUNTS = "SELECT author_id, status, count FROM read.status_counts WHERE count <> 0"
TRUTH = "SELECT author_id, status, count(*) AS count FROM read.ticket_list GROUP BY 1, 2"


async def seed_backlog(url: str) -> None:
    """Tickets in every status by 40 authors, through the command path, not delivered."""
    env = {
        **os.environ,
        "TICKETS_DATABASE_URL": url,
        "TICKETS_JWT_SECRET": TEST_SECRET,
        "TICKETS_LOG_LEVEL": "WARNING",
    }
    seed = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tickets", "seed", "--tickets", str(TICKETS), "--workers", "0"),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await asyncio.wait_for(seed.wait(), 300) == 0


async def test_two_workers_drain_a_backlog_without_losing_the_database(
    fault_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    await seed_backlog(fault_db)
    settings = settings_for(fault_db, db_command_timeout_seconds=REQUEST_BOUND)
    async with AsyncExitStack() as stack:
        runtimes = [await stack.enter_async_context(open_runtime(settings)) for _ in range(2)]
        pool = runtimes[0].pools.write
        total = await pool.fetchval("SELECT count(*) FROM tickets.outbox_messages", timeout=SLOW)
        deadlocks = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        deadlocks_before = await pool.fetchval(deadlocks, timeout=SLOW)
        workers = [quick(runtime.worker()) for runtime in runtimes]

        async def drained() -> bool:
            return bool(await pool.fetchval(NOTHING_PENDING, timeout=SLOW))

        def gauge(index: int, name: str, labels: dict[str, str]) -> float | None:
            return runtimes[index].registry.get_sample_value(name, labels)

        async def observed_empty() -> bool:
            lag = "tickets_subscription_lag_events"
            return all(gauge(i, lag, {"subscription": "read_model"}) == 0 for i in range(2))

        with caplog.at_level(logging.WARNING, logger="tickets.worker"):
            async with running(workers[0]), running(workers[1]):
                await eventually(drained, within=300, every=0.2)
                await eventually(observed_empty, within=30)  # the metrics went on throughout
                assert [w.state for w in workers] == [WorkerState.RUNNING] * 2

        read_model = {"subscription": "read_model"}
        delivered = sum(
            gauge(i, "tickets_outbox_delivered_total", read_model) or 0 for i in range(2)
        )
        assert delivered == total
        assert await pool.fetchval(deadlocks, timeout=SLOW) == deadlocks_before
        read = runtimes[0].pools.read
        counts = {tuple(r) for r in await read.fetch(COUNTS, timeout=SLOW)}
        assert counts == {tuple(r) for r in await read.fetch(TRUTH, timeout=SLOW)}

    assert worker_lines(caplog, "lost the database") == 0
    assert worker_lines(caplog, "batch failed") == 0
    assert worker_lines(caplog, "statistics failed") == 0
