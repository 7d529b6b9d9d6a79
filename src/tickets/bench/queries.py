"""Hot queries at scale (1,000,000 tickets, seeded once and reused): latency
percentiles measured at the database driver, and each plan's EXPLAIN summary."""

import asyncio
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

import asyncpg

from tickets.application.queries import ListTickets, TicketSort
from tickets.bench.databases import BENCH_SECRET, NOTHING_PENDING, kept_database
from tickets.bench.report import Report, scaled
from tickets.domain.status import TicketStatus
from tickets.domain.users import Role, User
from tickets.infrastructure.pools import create_pool
from tickets.readmodel.cursor import Cursor
from tickets.readmodel.ticket_read_model import DETAILS, list_query

HOT = (
    "list: approved, newest first, keyset page deep in the set",
    "list: one requester's tickets, recently updated first",
    "details by id",
)


def dataset_name(tickets: int) -> str:
    """The reusable dataset's database (TICKETS_BENCH_DATASET overrides it)."""
    default = "tickets_bench_1m" if tickets == 1_000_000 else f"tickets_bench_{tickets}"
    return os.environ.get("TICKETS_BENCH_DATASET", default)


async def ensure_dataset(server_url: str, tickets: int) -> str:
    """The reusable dataset's URL, seeding it through `tickets seed` if incomplete."""
    url = await kept_database(server_url, dataset_name(tickets))
    if await _complete(url, tickets):
        return url
    env = {
        **os.environ,
        "TICKETS_DATABASE_URL": url,
        "TICKETS_JWT_SECRET": BENCH_SECRET,
        "TICKETS_LOG_LEVEL": "WARNING",
    }
    seed = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tickets", "seed", "--tickets", str(tickets), env=env
    )
    if await seed.wait() != 0 or not await _complete(url, tickets):
        raise RuntimeError(f"seeding {tickets} tickets into {dataset_name(tickets)} failed")
    return url


async def _complete(url: str, tickets: int) -> bool:
    try:
        connection = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        listed = await connection.fetchval("SELECT count(*) FROM read.ticket_list")
        return bool(listed >= tickets and await connection.fetchval(NOTHING_PENDING))
    except asyncpg.PostgresError:
        return False
    finally:
        await connection.close()


def summarize(plan: dict[str, Any]) -> dict[str, Any]:
    nodes: list[str] = []
    indexes: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        nodes.append(node["Node Type"])
        if "Index Name" in node:
            indexes.add(node["Index Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return {"nodes": nodes, "indexes": sorted(indexes), "seq_scan": "Seq Scan" in nodes}


async def measure(
    pool: asyncpg.Pool, sql: str, args: Callable[[], list[Any]], runs: int
) -> dict[str, Any]:
    timings = []
    async with pool.acquire() as connection:
        for _ in range(runs):
            values = args()
            started = time.perf_counter()
            await connection.fetch(sql, *values)
            timings.append(time.perf_counter() - started)
        explained = await connection.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args())
    timings.sort()
    plan = summarize(explained[0])

    def pct(p: float) -> float:
        return round(timings[min(len(timings) - 1, int(p / 100 * len(timings)))] * 1000, 3)

    return {"p50_ms": pct(50), "p99_ms": pct(99), "runs": runs, "plan": plan}


async def run(report: Report, server_url: str, quick: bool) -> None:
    tickets, runs = (10_000, 100) if quick else (1_000_000, 300)
    tickets, runs = int(scaled(tickets, 200)), int(scaled(runs, 10))
    url = await ensure_dataset(server_url, tickets)
    pool = await create_pool(url, max_size=2)
    try:
        results = await _measure_all(pool, runs)
    finally:
        await pool.close()
    report.figures["queries"] = {"tickets": tickets, "results": results}
    for name in HOT:
        report.check(f"{name}: p99", results[name]["p99_ms"], "ms", maximum=10)
    seq = sum(results[name]["plan"]["seq_scan"] for name in HOT)
    report.check("hot query plans with a sequential scan", seq, "plans", maximum=0)


async def _measure_all(pool: asyncpg.Pool, runs: int) -> dict[str, Any]:
    ids: list[UUID] = [
        r["ticket_id"]
        for r in await pool.fetch(
            "SELECT ticket_id FROM read.ticket_list ORDER BY random() LIMIT 2000"
        )
    ]
    author = await pool.fetchval("SELECT author_id FROM read.ticket_list LIMIT 1")
    approved = await pool.fetchval(
        "SELECT count(*) FROM read.ticket_list WHERE status = 'approved'"
    )
    deep = await pool.fetchrow(
        "SELECT created_at, ticket_id FROM read.ticket_list WHERE status = 'approved' "
        "ORDER BY created_at DESC, ticket_id DESC OFFSET $1 LIMIT 1",
        approved // 2,
    )
    assert deep is not None
    approver = User(UUID(int=0), "bench-approver", frozenset({Role.APPROVER}))
    requester = User(author, "bench-requester", frozenset({Role.REQUESTER}))
    cursor = Cursor(TicketSort.NEWEST, deep["created_at"], deep["ticket_id"])
    deep_query = list_query(ListTickets(approver, status=TicketStatus.APPROVED), cursor)
    mine = list_query(ListTickets(requester, sort=TicketSort.RECENTLY_UPDATED), None)
    search = list_query(ListTickets(approver, q="laptop"), None)
    assert deep_query is not None
    assert mine is not None
    assert search is not None
    stats = "SELECT status, sum(count)::bigint FROM read.status_counts GROUP BY status"
    cases: dict[str, tuple[str, Callable[[], list[Any]]]] = {
        HOT[0]: (deep_query[0], lambda: deep_query[1]),
        HOT[1]: (mine[0], lambda: mine[1]),
        HOT[2]: (DETAILS, lambda: [random.choice(ids)]),
        "stats (approver: every ticket)": (stats, list),
        "title search 'laptop', newest first": (search[0], lambda: search[1]),
    }
    return {name: await measure(pool, sql, args, runs) for name, (sql, args) in cases.items()}
