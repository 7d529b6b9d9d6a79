"""Shared fixtures: a PostgreSQL server (external by URL, or embedded) and a uniquely
named database per test session, migrated, and dropped at the end."""

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from tickets.bootstrap import Runtime, open_runtime
from tickets.config import Settings
from tickets.logging_setup import configure_logging
from tickets.testing.scratch_databases import execute, scratch_database

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256"


@pytest.fixture(scope="session", autouse=True)
def quiet_logs() -> None:
    """Warnings and errors only: pytest shows them with a failing test's output."""
    configure_logging("console", "WARNING")


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """TICKETS_TEST_DATABASE_URL when set (CI), else an embedded server in the temp dir."""
    url = os.environ.get("TICKETS_TEST_DATABASE_URL")
    if url:
        yield url
        return
    from tickets.infrastructure.embedded import start_embedded

    embedded = start_embedded(Path(tempfile.gettempdir()) / "tickets-test-embedded")
    try:
        yield embedded.url
    finally:
        embedded.stop()


@pytest_asyncio.fixture(scope="session")
async def broker_url_if_set() -> str | None:
    """TICKETS_TEST_BROKER_URL (CI sets it), or None when unset: a test fails, never
    skips, if it is set and unreachable."""
    url = os.environ.get("TICKETS_TEST_BROKER_URL")
    if not url:
        return None
    import aio_pika

    try:
        connection = await aio_pika.connect(url, timeout=10)
        await connection.close()
    except Exception as error:
        pytest.fail(f"cannot reach the test RabbitMQ at {url}: {error}", pytrace=False)
    return url


@pytest.fixture(scope="session")
def broker_url(broker_url_if_set: str | None) -> str:
    """The test RabbitMQ; unset, the tests that need it are skipped (there is no
    embedded broker)."""
    if broker_url_if_set is None:
        pytest.skip("TICKETS_TEST_BROKER_URL is not set (no RabbitMQ to test against)")
    return broker_url_if_set


FAST_RETRIES = {"outbox_retry_base_seconds": 0.01, "outbox_retry_cap_seconds": 0.05}


@pytest_asyncio.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    try:
        await execute(server_url, "SELECT 1")
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"cannot reach the test PostgreSQL at {server_url}: {error}", pytrace=False)
    async with scratch_database(server_url) as url:
        yield url


def settings_for(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "jwt_secret": TEST_SECRET,
        "dev_login": True,
        "log_level": "WARNING",
        "run_worker": False,  # tests deliver with drain(), deterministically
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest_asyncio.fixture(scope="session")
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    async with open_runtime(settings_for(database_url)) as running:
        yield running
