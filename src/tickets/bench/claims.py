"""Claim cost vs backlog: what one claim reads at 1k … 1M pending events, with the
planner's statistics taken when the log was empty (stale) and after ANALYZE (fresh).

The backlog is written in SQL (the claim never decodes it) with autovacuum off for the
log, so nothing refreshes the statistics behind the benchmark's back. A claim is timed
and its pages counted with EXPLAIN (ANALYZE, BUFFERS) at the start of the backlog and
in its middle; the sequencer's runs over the backlog are timed too.
"""

import json
import statistics
import time
from typing import Any

import asyncpg

from tickets.bench.databases import scratch_runtime
from tickets.bench.report import Report, scaled
from tickets.infrastructure.outbox.lanes import LANES
from tickets.infrastructure.outbox.store import CLAIM, CLAIM_BODY, PLAN_GUARD

FILL = """
INSERT INTO tickets.outbox_messages (id, aggregate_id, aggregate_version, event_type,
                                     payload, metadata, occurred_at)
SELECT gen_random_uuid(), t.id, v.v, 'comment.added.v1',
       jsonb_build_object('body', 'b', 'comment_id', gen_random_uuid()),
       '{"correlation_id": "bench"}'::jsonb, now()
  FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $1)) t,
       generate_series(1, 4) AS v(v)
"""
PARTITIONS = """SELECT c.oid::regclass::text
                  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'tickets.outbox_messages'::regclass"""
BATCH = 500


async def freeze_statistics(pool: asyncpg.Pool) -> None:
    """ANALYZE the log as it is now, and keep autovacuum from analyzing it again."""
    await pool.execute("ANALYZE tickets.outbox_messages")
    for (partition,) in await pool.fetch(PARTITIONS):
        await pool.execute(f"ALTER TABLE {partition} SET (autovacuum_enabled = false)")
        await pool.execute(f"ANALYZE {partition}")


async def fill_backlog(pool: asyncpg.Pool, events: int) -> None:
    """``events`` pending events (four per ticket), committed in chunks."""
    tickets = max(1, events // 4)
    for start in range(0, tickets, 25_000):
        await pool.execute(FILL, min(25_000, tickets - start))


async def sequence_all(pool: asyncpg.Pool) -> list[float]:
    """Position the whole backlog; the seconds of each sequencer run."""
    runs = []
    while True:
        started = time.perf_counter()
        n = await pool.fetchval("SELECT tickets.assign_positions(5000)")
        runs.append(time.perf_counter() - started)
        if not n:
            return runs


async def claim_cost(pool: asyncpg.Pool, after: int, batch: int = BATCH) -> dict[str, Any]:
    """One claim of every lane from ``after``: its time (the worker's statement), and
    the pages and plan nodes of its body under the same planner settings."""
    lanes = list(range(LANES))
    per_lane = -(-batch // LANES)
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(PLAN_GUARD)
        started = time.perf_counter()
        await connection.fetch(CLAIM, lanes, [after] * LANES, per_lane)
        seconds = time.perf_counter() - started
        explained = await connection.fetchval(
            f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {CLAIM_BODY}",
            lanes,
            [after] * LANES,
            per_lane,
        )
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    return {
        "ms": seconds * 1000,
        "pages": plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0),
        "rows": plan.get("Actual Rows", 0),
        "nodes": sorted(_nodes(plan)),
    }


def _nodes(plan: dict[str, Any]) -> set[str]:
    """The plan's nodes, as "Index Scan on <relation>" for a scan."""
    found = {" on ".join(filter(None, (plan["Node Type"], plan.get("Relation Name"))))}
    for child in plan.get("Plans", []):
        found |= _nodes(child)
    return found


async def measure(server_url: str, pending: int, fresh: bool) -> dict[str, Any]:
    async with scratch_runtime(server_url) as runtime:
        pool = runtime.pools.write
        await freeze_statistics(pool)  # statistics of an empty log
        await fill_backlog(pool, pending)
        runs = await sequence_all(pool)
        if fresh:
            await pool.execute("ANALYZE tickets.outbox_messages")
        head = int(await pool.fetchval("SELECT position FROM tickets.outbox_head"))
        claims = [await claim_cost(pool, after) for after in (0, head // 2, 0, head // 2)]
    return {
        "pending": pending,
        "statistics": "fresh" if fresh else "stale",
        "claim_ms": round(statistics.median(c["ms"] for c in claims), 2),
        "claim_ms_max": round(max(c["ms"] for c in claims), 2),
        "claim_pages_max": max(c["pages"] for c in claims),
        "claim_rows": claims[0]["rows"],
        "plan_nodes": claims[0]["nodes"],
        "sequencer_run_ms_max": round(max(runs) * 1000, 1),
    }


async def run(report: Report, server_url: str, quick: bool) -> None:
    sizes = [1_000, 10_000, 100_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    rows = []
    for size in sizes:
        pending = int(scaled(size, 100))
        for fresh in (False, True):
            row = await measure(server_url, pending, fresh)
            rows.append(row)
            report.check(
                f"claim time, {pending:,} pending ({row['statistics']} statistics)",
                row["claim_ms_max"],
                "ms",
                maximum=50,
            )
    report.figures["claims"] = rows
