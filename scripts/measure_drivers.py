"""Measure asyncpg against psycopg 3 on the ticket write path and a primary-key read."""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import secrets
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any, Protocol
from urllib.parse import urlsplit

import asyncpg
import psycopg
from psycopg_pool import AsyncConnectionPool

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TICKET_COUNT = 10_000
ROUNDS = ("asyncpg", "psycopg", "asyncpg", "psycopg")
CASES = ("write", "read")
STATUSES = ("open", "in_progress", "resolved", "closed")

SCHEMA = """
CREATE TABLE tickets (
    id uuid PRIMARY KEY,
    title text NOT NULL,
    status text NOT NULL,
    version int NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE outbox (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL,
    aggregate_id uuid NOT NULL,
    version int NOT NULL,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    occurred_at timestamptz NOT NULL
);
INSERT INTO tickets (id, title, status, version, updated_at)
SELECT gen_random_uuid(), 'ticket ' || g, 'open', 1, now()
FROM generate_series(1, 10000) AS g;
"""

# The same statements, in each driver's placeholder style.
SQL: dict[str, dict[str, str]] = {
    "asyncpg": {
        "load": "SELECT id, title, status, version, updated_at FROM tickets WHERE id = $1",
        "update": (
            "UPDATE tickets SET status = $3, version = version + 1, updated_at = now()"
            " WHERE id = $1 AND version = $2"
        ),
        "outbox": (
            "INSERT INTO outbox (id, aggregate_id, version, event_type, payload, occurred_at)"
            " VALUES ($1, $2, $3, $4, $5, now())"
        ),
        "notify": "SELECT pg_notify('outbox', '')",
    },
    "psycopg": {
        "load": "SELECT id, title, status, version, updated_at FROM tickets WHERE id = %s",
        "update": (
            "UPDATE tickets SET status = %s, version = version + 1, updated_at = now()"
            " WHERE id = %s AND version = %s"
        ),
        "outbox": (
            "INSERT INTO outbox (id, aggregate_id, version, event_type, payload, occurred_at)"
            " VALUES (%s, %s, %s, %s, %s, now())"
        ),
        "notify": "SELECT pg_notify('outbox', '')",
    },
}


class VersionConflictError(Exception):
    """The optimistic version check matched no row; the transaction is rolled back."""


def event_payload(ticket_id: uuid.UUID, status: str, new_version: int) -> str:
    return json.dumps({"ticket_id": str(ticket_id), "status": status, "version": new_version})


class Driver(Protocol):
    name: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def write(self, ticket_id: uuid.UUID, status: str) -> None: ...

    async def read(self, ticket_id: uuid.UUID) -> None: ...


class AsyncpgDriver:
    name = "asyncpg"

    def __init__(self, url: str, pool_size: int) -> None:
        self._url = url
        self._size = pool_size
        self._sql = SQL["asyncpg"]
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(self._url, min_size=self._size, max_size=self._size)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def write(self, ticket_id: uuid.UUID, status: str) -> None:
        assert self._pool is not None
        sql = self._sql
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(sql["load"], ticket_id)
            current = row["version"]
            result = await conn.execute(sql["update"], ticket_id, current, status)
            if result != "UPDATE 1":
                raise VersionConflictError
            payload = event_payload(ticket_id, status, current + 1)
            await conn.execute(
                sql["outbox"], uuid.uuid4(), ticket_id, current + 1, "TicketStatusChanged", payload
            )
            await conn.execute(sql["notify"])

    async def read(self, ticket_id: uuid.UUID) -> None:
        assert self._pool is not None
        async with self._pool.acquire() as conn:
            await conn.fetchrow(self._sql["load"], ticket_id)


class PsycopgDriver:
    name = "psycopg"

    def __init__(self, url: str, pool_size: int) -> None:
        self._sql = SQL["psycopg"]
        # autocommit + explicit transaction() mirrors asyncpg: BEGIN ... COMMIT, no implicit txn.
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
            url, min_size=pool_size, max_size=pool_size, kwargs={"autocommit": True}, open=False
        )

    async def open(self) -> None:
        await self._pool.open(wait=True, timeout=30)

    async def close(self) -> None:
        await self._pool.close()

    async def write(self, ticket_id: uuid.UUID, status: str) -> None:
        sql = self._sql
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(sql["load"], (ticket_id,))
            row = await cur.fetchone()
            assert row is not None
            current = row[3]
            cur = await conn.execute(sql["update"], (status, ticket_id, current))
            if cur.rowcount != 1:
                raise VersionConflictError
            payload = event_payload(ticket_id, status, current + 1)
            await conn.execute(
                sql["outbox"],
                (uuid.uuid4(), ticket_id, current + 1, "TicketStatusChanged", payload),
            )
            await conn.execute(sql["notify"])

    async def read(self, ticket_id: uuid.UUID) -> None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(self._sql["load"], (ticket_id,))
            await cur.fetchone()


@dataclass
class CaseResult:
    ops: int
    conflicts: int
    elapsed: float
    latencies: list[float] = field(repr=False)

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.elapsed


async def run_case(
    op: Callable[[uuid.UUID], Awaitable[None]],
    ids: Sequence[uuid.UUID],
    seconds: float,
    concurrency: int,
) -> CaseResult:
    latencies: list[float] = []
    conflicts = 0
    deadline = time.perf_counter() + seconds

    async def worker(seed: int) -> None:
        nonlocal conflicts
        rng = random.Random(seed)
        while time.perf_counter() < deadline:
            ticket_id = rng.choice(ids)
            started = time.perf_counter()
            try:
                await op(ticket_id)
            except VersionConflictError:
                conflicts += 1
                continue
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker(secrets.randbits(32)) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return CaseResult(len(latencies), conflicts, elapsed, latencies)


def with_database(url: str, dbname: str) -> str:
    return urlsplit(url)._replace(path=f"/{dbname}").geturl()


async def prepare_round(scratch_url: str) -> None:
    """Same starting conditions for every round: vacuumed tables, fresh checkpoint."""
    conn = await asyncpg.connect(scratch_url)
    try:
        await conn.execute("VACUUM (ANALYZE) tickets")
        await conn.execute("VACUUM (ANALYZE) outbox")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def run_round(
    driver: Driver, ids: Sequence[uuid.UUID], seconds: float, concurrency: int
) -> dict[str, CaseResult]:
    warmup = min(1.0, seconds / 5)
    rng = random.Random()

    async def write(ticket_id: uuid.UUID) -> None:
        await driver.write(ticket_id, rng.choice(STATUSES))

    ops: dict[str, Callable[[uuid.UUID], Awaitable[None]]] = {"write": write, "read": driver.read}
    await driver.open()
    try:
        results: dict[str, CaseResult] = {}
        for case in CASES:
            await run_case(ops[case], ids, warmup, concurrency)  # prepares statements everywhere
            results[case] = await run_case(ops[case], ids, seconds, concurrency)
        return results
    finally:
        await driver.close()


def percentile_ms(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1] * 1000


def print_report(results: dict[str, list[dict[str, CaseResult]]]) -> None:
    header = (
        f"{'case':<6} {'driver':<8} {'round1 ops/s':>12} {'round2 ops/s':>12} "
        f"{'mean ops/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'conflicts':>9}"
    )
    print()
    print(header)
    print("-" * len(header))
    means: dict[tuple[str, str], float] = {}
    for case in CASES:
        for name in ("asyncpg", "psycopg"):
            runs = [r[case] for r in results[name]]
            rates = [r.ops_per_s for r in runs]
            lat = [x for r in runs for x in r.latencies]
            means[case, name] = statistics.fmean(rates)
            print(
                f"{case:<6} {name:<8} {rates[0]:>12.0f} {rates[1]:>12.0f} "
                f"{means[case, name]:>10.0f} {percentile_ms(lat, 50):>7.2f} "
                f"{percentile_ms(lat, 99):>7.2f} {sum(r.conflicts for r in runs):>9}"
            )
    print()
    for case in CASES:
        ratio = means[case, "asyncpg"] / means[case, "psycopg"]
        print(f"ratio asyncpg/psycopg, {case} ops/s: {ratio:.2f}")


async def amain(url: str, seconds: float, concurrency: int) -> None:
    dbname = f"driver_bench_{secrets.token_hex(6)}"
    scratch_url = with_database(url, dbname)
    admin = await asyncpg.connect(url)
    try:
        server = await admin.fetchval("SHOW server_version")
        settings = await admin.fetch(
            "SELECT name, setting FROM pg_settings WHERE name IN"
            " ('fsync', 'synchronous_commit', 'shared_buffers', 'autovacuum')"
        )
        await admin.execute(f'CREATE DATABASE "{dbname}"')
        try:
            print(
                f"python {platform.python_version()} (default asyncio loop), "
                f"asyncpg {version('asyncpg')}, psycopg {version('psycopg')}, "
                f"psycopg-binary {version('psycopg-binary')}, "
                f"psycopg-pool {version('psycopg-pool')}"
            )
            print(f"server {server}; " + ", ".join(f"{r['name']}={r['setting']}" for r in settings))
            print(
                f"scratch db {dbname}; {seconds:g}s per case, concurrency {concurrency}, "
                f"pool size {concurrency}; rounds: {', '.join(ROUNDS)}"
            )
            conn = await asyncpg.connect(scratch_url)
            try:
                await conn.execute(SCHEMA)
                ids: list[uuid.UUID] = [r["id"] for r in await conn.fetch("SELECT id FROM tickets")]
            finally:
                await conn.close()
            assert len(ids) == TICKET_COUNT

            results: dict[str, list[dict[str, CaseResult]]] = {"asyncpg": [], "psycopg": []}
            for index, name in enumerate(ROUNDS, start=1):
                await prepare_round(scratch_url)
                driver: Driver = (
                    AsyncpgDriver(scratch_url, concurrency)
                    if name == "asyncpg"
                    else PsycopgDriver(scratch_url, concurrency)
                )
                round_results = await run_round(driver, ids, seconds, concurrency)
                results[name].append(round_results)
                print(
                    f"round {index} {name:<8} "
                    + "  ".join(f"{c} {r.ops_per_s:,.0f} ops/s" for c, r in round_results.items())
                )
            print_report(results)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            print(f"dropped scratch db {dbname}")
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=DEFAULT_URL, help="maintenance database URL")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per case")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent tasks = pool size")
    args = parser.parse_args()
    asyncio.run(amain(args.url, args.seconds, args.concurrency))


if __name__ == "__main__":
    main()
