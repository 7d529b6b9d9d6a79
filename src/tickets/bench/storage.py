"""Storage per ticket lifecycle, pruning throughput, and what pruning costs commands.

1. Bytes per lifecycle (create, submit, decide; an Idempotency-Key on each command,
   every event delivered): pg_total_relation_size of every table before and after N
   lifecycles, grouped as the event log, current state, bookkeeping and read model.
2. Pruning throughput: rows per second the retention task removes from a backlog of
   expired bookkeeping, with its production batch size and pauses.
3. Command latency at a steady rate with and without the retention task working
   through such a backlog the whole time, alternated rounds.
"""

import asyncio
import time
from typing import Any

import asyncpg

from tickets.bench.databases import scratch_runtime
from tickets.bench.lifecycles import COMMANDS_PER_LIFECYCLE, Load, lifecycle, people, steady
from tickets.bench.report import Report, scaled
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.drain import drain

# Every table with its size, partitions counted under their parent.
SIZES = """
SELECT n.nspname || '.' || coalesce(parent.relname, c.relname) AS name,
       sum(pg_total_relation_size(c.oid))::bigint AS bytes
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
  LEFT JOIN pg_class parent ON parent.oid = i.inhparent
 WHERE c.relkind = 'r' AND n.nspname IN ('tickets', 'read')
 GROUP BY 1
"""
LOG = {"tickets.outbox_messages"}
STATE = {"tickets.tickets", "tickets.comments", "tickets.users"}
# Expired bookkeeping, as a service that never pruned would hold it.
BACKLOG = (
    """INSERT INTO tickets.idempotency_keys (scope, key, fingerprint, response, created_at)
       SELECT 'bench', md5(random()::text), md5(g::text), '{"kind": "ticket"}',
              now() - interval '2 days' FROM generate_series(1, $1) g""",
    """INSERT INTO tickets.outbox_attempts (message_id, attempt, handler, error, failed_at)
       SELECT gen_random_uuid(), 1, 'projection', 'ConnectionError: lost',
              now() - interval '40 days' FROM generate_series(1, $1) g""",
    """INSERT INTO tickets.notifications (id, user_id, ticket_id, kind, text, created_at,
                                         read_at)
       SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'approved',
              'someone approved your ticket', now() - interval '60 days',
              now() - interval '40 days' FROM generate_series(1, $1) g""",
)


async def sizes(pool: asyncpg.Pool) -> dict[str, int]:
    await pool.execute("VACUUM")  # the free-space and visibility maps exist before and after
    return {row["name"]: row["bytes"] for row in await pool.fetch(SIZES)}


def group(name: str) -> str:
    if name in LOG:
        return "log"
    if name in STATE:
        return "state"
    return "read_model" if name.startswith("read.") else "bookkeeping"


async def lifecycles(runtime: Runtime, count: int, concurrency: int = 8) -> None:
    author, approver = await people(runtime.bus)
    load = Load()
    for start in range(0, count, concurrency):
        batch = range(start, min(count, start + concurrency))
        await asyncio.gather(*(lifecycle(runtime.bus, author, approver, n, load) for n in batch))
    await drain(runtime.dispatcher, timeout=300)


async def bytes_per_lifecycle(runtime: Runtime, count: int) -> dict[str, Any]:
    await lifecycles(runtime, max(50, count // 10))  # first pages, not growth
    before = await sizes(runtime.pools.write)
    await lifecycles(runtime, count)
    after = await sizes(runtime.pools.write)
    per_table = {n: (after[n] - before.get(n, 0)) / count for n in after}
    groups: dict[str, float] = {}
    for name, size in per_table.items():
        groups[group(name)] = groups.get(group(name), 0.0) + size
    return {
        "lifecycles": count,
        "bytes_per_lifecycle": {g: round(v) for g, v in sorted(groups.items())},
        "total_bytes_per_lifecycle": round(sum(groups.values())),
        "bytes_per_lifecycle_by_table": {n: round(v) for n, v in sorted(per_table.items()) if v},
    }


async def seed_backlog(pool: asyncpg.Pool, rows_per_table: int) -> None:
    for start in range(0, rows_per_table, 50_000):
        for statement in BACKLOG:
            await pool.execute(statement, min(50_000, rows_per_table - start))
    await pool.execute("ANALYZE")


async def pruning_rate(runtime: Runtime, rows_per_table: int) -> float:
    await seed_backlog(runtime.pools.write, rows_per_table)
    started = time.perf_counter()
    removed = await runtime.pruner().prune_once()
    return sum(removed.values()) / (time.perf_counter() - started)


async def under_load(
    runtime: Runtime, rate: float, seconds: float, backlog: int, prune: bool
) -> Load:
    """Lifecycles at ``rate`` per second, after adding ``backlog`` expired rows per table
    (in both variants, so that both pay for writing them); with ``prune``, the retention
    task works through the backlog the whole time."""
    await seed_backlog(runtime.pools.write, backlog)
    if not prune:
        return await steady(runtime.bus, rate, seconds)
    stop = asyncio.Event()
    pruning = asyncio.create_task(runtime.pruner().run(stop))
    try:
        return await steady(runtime.bus, rate, seconds)
    finally:
        stop.set()
        await pruning


async def run(report: Report, server_url: str, quick: bool) -> None:
    count = int(scaled(1000 if quick else 5000, 20))
    rows = int(scaled(20_000 if quick else 100_000, 500))
    rate, seconds, rounds = (25.0, 8.0, 2) if quick else (40.0, 20.0, 3)
    seconds = scaled(seconds, 1)
    overrides = {"retention_interval_seconds": 0.1}
    async with scratch_runtime(server_url, **overrides) as runtime:
        figure = await bytes_per_lifecycle(runtime, count)
        per_second = await pruning_rate(runtime, rows)
        figure["pruning_rows_per_second"] = round(per_second)
        # Enough expired rows that pruning never runs out during a loaded round.
        backlog = int(per_second * seconds / len(BACKLOG) * 1.5) + 1
        loads: dict[str, list[Load]] = {"without_pruning": [], "with_pruning": []}
        for _ in range(rounds):
            for name, prune in (("without_pruning", False), ("with_pruning", True)):
                load = await under_load(runtime, rate, seconds, backlog, prune)
                loads[name].append(load)
            await drain(runtime.dispatcher, timeout=300)
    merged = {k: Load([x for load in v for x in load.latencies]) for k, v in loads.items()}
    figure["commands_per_second"] = rate * COMMANDS_PER_LIFECYCLE
    figure["seconds_per_round"] = seconds
    figure["rounds"] = rounds
    for name, load in merged.items():
        figure[f"command_p50_ms_{name}"] = round(load.percentile(50) * 1000, 2)
        figure[f"command_p99_ms_{name}"] = round(load.percentile(99) * 1000, 2)
    report.figures["storage"] = figure
    without = merged["without_pruning"].percentile(99)
    ratio = merged["with_pruning"].percentile(99) / without * 100 if without else 0.0
    report.check("command p99 with pruning running, % of without", ratio, "%", maximum=120)
