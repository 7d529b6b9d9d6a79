"""Outbox delivery throughput: one worker, four worker processes, and the SQL-only
ceiling in the same database. The ceiling is position-based, like delivery: the
sequencer positions the backlog, then each batch is one statement that reads a page
after a position, upserts the effect and advances a position row."""

import asyncio
import statistics
import sys
import time
import uuid
from asyncio.subprocess import PIPE

import asyncpg

from tickets.bench.databases import scratch_runtime, wait_all_processed
from tickets.bench.handler_sets import subscriptions_for
from tickets.bench.report import Report, scaled
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.dispatcher import Dispatcher
from tickets.infrastructure.outbox.worker import OutboxWorker, WorkerConfig
from tickets.testing.synthetic_events import insert_events, ticket_events

EVENTS_PER_TICKET = 8  # a created ticket and its next versions, like seeded data
BIG_BACKLOG = 1_000_000
"""The backlog of a full run's second measure: delivery must not slow down with it."""
CEILING_DDL = """CREATE TABLE IF NOT EXISTS public.bench_ceiling (
    ticket_id uuid PRIMARY KEY, version int NOT NULL, events int NOT NULL)"""
CEILING_PROGRESS = """CREATE TABLE IF NOT EXISTS public.bench_ceiling_position (
    one boolean PRIMARY KEY, position bigint NOT NULL)"""
# One statement per batch: a page after the position, the effect, the new position.
CEILING_BATCH = """
WITH batch AS (
    SELECT aggregate_id, aggregate_version, position FROM tickets.outbox_messages
     WHERE position > (SELECT position FROM public.bench_ceiling_position)
     ORDER BY position LIMIT $1
), effect AS (
    INSERT INTO public.bench_ceiling AS c (ticket_id, version, events)
    SELECT aggregate_id, max(aggregate_version), count(*) FROM batch GROUP BY aggregate_id
    ON CONFLICT (ticket_id) DO UPDATE
       SET version = greatest(c.version, excluded.version), events = c.events + excluded.events
)
UPDATE public.bench_ceiling_position SET position = (SELECT max(position) FROM batch)
 WHERE EXISTS (SELECT 1 FROM batch)
"""


async def fill(runtime: Runtime, events: int) -> int:
    tickets = max(1, events // EVENTS_PER_TICKET)
    stream = [e for _ in range(tickets) for e in ticket_events(uuid.uuid4(), EVENTS_PER_TICKET)]
    for start in range(0, len(stream), 5000):
        await insert_events(runtime.pools.write, stream[start : start + 5000])
    await runtime.pools.write.execute("VACUUM ANALYZE tickets.outbox_messages")
    return len(stream)


async def one_worker(runtime: Runtime, handlers: str) -> float:
    dispatcher = Dispatcher(runtime.store, subscriptions_for(handlers, runtime.pools.write))
    return await drain_time(runtime, dispatcher, WorkerConfig(poll_seconds=0.2))


async def drain_time(runtime: Runtime, dispatcher: Dispatcher, config: WorkerConfig) -> float:
    """Seconds one worker in this process takes to deliver everything pending."""
    worker = OutboxWorker(runtime.database_url, runtime.store, dispatcher, config)
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(worker.run(stop))
    await wait_all_processed(runtime.pools.write)
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    return elapsed


async def worker_processes(runtime: Runtime, handlers: str, count: int) -> float:
    command = ["-m", "tickets.bench.worker_proc", runtime.database_url, handlers]
    processes = [
        await asyncio.create_subprocess_exec(sys.executable, *command, stdin=PIPE, stdout=PIPE)
        for _ in range(count)
    ]
    for process in processes:  # each prints "ready" once connected: only then start timing
        assert process.stdout is not None
        await process.stdout.readline()
    started = time.perf_counter()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    await wait_all_processed(runtime.pools.write)
    elapsed = time.perf_counter() - started
    for process in processes:
        process.terminate()
    for process in processes:
        await asyncio.wait_for(process.wait(), 30)
    return elapsed


async def sql_ceiling(pool: asyncpg.Pool, batch: int = 100) -> float:
    await pool.execute(CEILING_DDL)
    await pool.execute(CEILING_PROGRESS)
    await pool.execute("INSERT INTO public.bench_ceiling_position VALUES (true, 0)")
    started = time.perf_counter()
    while await pool.fetchval("SELECT tickets.assign_positions(5000)"):
        pass
    while (await pool.execute(CEILING_BATCH, batch)) != "UPDATE 0":
        pass
    return time.perf_counter() - started


async def measure(
    server_url: str, events: int, handlers: str, *, four_workers: bool
) -> tuple[int, dict[str, float]]:
    """Events/s of the SQL-only ceiling, one worker (and four worker processes), each
    over the same backlog of ``events`` in a database of its own; and that backlog."""
    rates: dict[str, float] = {}
    async with scratch_runtime(server_url) as runtime:
        n = await fill(runtime, events)
        rates["sql_ceiling"] = n / await sql_ceiling(runtime.pools.write)
    async with scratch_runtime(server_url) as runtime:
        n = await fill(runtime, events)
        rates["one_worker"] = n / await one_worker(runtime, handlers)
    if four_workers:
        async with scratch_runtime(server_url) as runtime:
            n = await fill(runtime, events)
            rates["four_workers"] = n / await worker_processes(runtime, handlers, 4)
    return n, rates


async def run(report: Report, server_url: str, quick: bool, handlers: str = "noop") -> None:
    # The same backlog in a quick run: the ceiling's rate depends on it (its claims walk
    # the processed rows' index entries), so a smaller one would judge another ratio.
    events = int(scaled(40_000, 500))
    rounds = 1 if quick else 3
    measured: list[dict[str, float]] = []
    for _ in range(rounds):  # alternated, like the HTTP variants; the median round decides
        n, rates = await measure(server_url, events, handlers, four_workers=True)
        measured.append(rates)
    median = {k: statistics.median(r[k] for r in measured) for k in measured[0]}
    ratio = statistics.median(r["one_worker"] / r["sql_ceiling"] for r in measured)
    report.figures[f"outbox_delivery_{handlers}"] = {
        "events": n,
        "events_per_ticket": EVENTS_PER_TICKET,
        "events_per_second": {k: round(v) for k, v in median.items()},
        "rounds": [{k: round(v) for k, v in r.items()} for r in measured],
    }
    report.check(
        f"outbox delivery, 1 worker ({handlers} handler)",
        median["one_worker"],
        "events/s",
        minimum=5000,
    )
    report.check(
        f"outbox delivery, 1 worker / SQL-only ceiling ({handlers})",
        ratio,
        "ratio",
        minimum=0.30,
    )
    if not quick:
        await big_backlog(report, server_url, handlers)


async def big_backlog(report: Report, server_url: str, handlers: str) -> None:
    """One worker, and the ceiling, at a backlog of a million events (a full run only:
    filling it takes minutes); one round each."""
    events = int(scaled(BIG_BACKLOG, 500))
    n, rates = await measure(server_url, events, handlers, four_workers=False)
    report.figures[f"outbox_delivery_{handlers}_big_backlog"] = {
        "events": n,
        "events_per_second": {k: round(v) for k, v in rates.items()},
        "one_worker_to_ceiling": round(rates["one_worker"] / rates["sql_ceiling"], 3),
    }
    report.check(
        f"outbox delivery at a 1M-event backlog, 1 worker ({handlers} handler)",
        rates["one_worker"],
        "events/s",
        minimum=5000,
    )
