"""The server and databases a benchmark scenario runs on: external or embedded, scratch
or kept, and a runtime on a scratch database."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import asyncpg

from tickets.bootstrap import Runtime, open_runtime
from tickets.config import Settings
from tickets.infrastructure.embedded import start_embedded
from tickets.testing.scratch_databases import execute, scratch_database, with_database

BENCH_SECRET = "bench-secret-long-enough-for-hs256-signing"
# Every subscription's lanes (once a worker created them) at the end of their lane of
# the log, and nothing left for the sequencer: one index probe per lane.
NOTHING_PENDING = """
WITH lanes AS (SELECT lane, position FROM tickets.subscription_lanes
               UNION ALL SELECT lane, position FROM read.subscription_lanes)
SELECT EXISTS (SELECT 1 FROM lanes)
   AND NOT EXISTS (SELECT 1 FROM tickets.outbox_messages WHERE position IS NULL)
   AND NOT EXISTS (SELECT 1 FROM lanes l WHERE EXISTS (
           SELECT 1 FROM tickets.outbox_messages m
            WHERE m.lane = l.lane AND m.position > l.position))
"""


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


async def kept_database(server_url: str, name: str) -> str:
    """The URL of the database ``name``, created if missing and never dropped: a dataset
    seeded once and reused by later runs."""
    with contextlib.suppress(asyncpg.DuplicateDatabaseError):
        await execute(server_url, f'CREATE DATABASE "{name}"')
    return with_database(server_url, name)


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


async def wait_all_processed(
    database: asyncpg.Pool | asyncpg.Connection, every: float = 0.01
) -> None:
    """Return once every subscription has reached the end of the log. Polled often, so
    it is a cheap question: one index probe per lane."""
    while not await database.fetchval(NOTHING_PENDING):  # noqa: ASYNC110 - others do the work
        await asyncio.sleep(every)
