"""Scratch databases for benchmark scenarios, on an external or the embedded server."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from tickets.bootstrap import Runtime, open_runtime
from tickets.config import Settings
from tickets.infrastructure.embedded import start_embedded

BENCH_SECRET = "bench-secret-long-enough-for-hs256-signing"


@contextmanager
def server(url: str | None, data_dir: Path) -> Iterator[str]:
    """The server to benchmark on: ``url``, or the embedded one kept in ``data_dir``."""
    if url:
        yield url
        return
    embedded = start_embedded(data_dir)
    try:
        yield embedded.url
    finally:
        embedded.stop()


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def scratch_database(server_url: str, keep_as: str | None = None) -> AsyncIterator[str]:
    """A new database (dropped afterwards unless ``keep_as`` names a reusable one)."""
    name = keep_as or f"tickets_bench_{uuid.uuid4().hex[:10]}"
    if keep_as:
        exists = await _fetch_exists(server_url, name)
        if not exists:
            await _admin(server_url, f'CREATE DATABASE "{name}"')
        yield with_database(server_url, name)
        return
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_url, name)
    finally:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _fetch_exists(server_url: str, name: str) -> bool:
    connection = await asyncpg.connect(server_url)
    try:
        found = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    finally:
        await connection.close()
    return bool(found)


def bench_settings(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url,
        "jwt_secret": BENCH_SECRET,
        "dev_login": True,
        "run_worker": False,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@asynccontextmanager
async def scratch_runtime(server_url: str, **overrides: object) -> AsyncIterator[Runtime]:
    async with (
        scratch_database(server_url) as url,
        open_runtime(bench_settings(url, **overrides)) as runtime,
    ):
        yield runtime


async def wait_all_processed(pool: asyncpg.Pool, every: float = 0.01) -> None:
    query = "SELECT NOT EXISTS (SELECT 1 FROM tickets.outbox_messages WHERE status = 'pending')"
    while not await pool.fetchval(query):  # noqa: ASYNC110 - another process does the work
        await asyncio.sleep(every)
