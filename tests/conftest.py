"""Shared fixtures: a PostgreSQL server (external by URL, or embedded) and a uniquely
named database per test session, migrated, and dropped at the end."""

import os
import shutil
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
import pytest_asyncio

from tickets.bootstrap import Runtime, open_runtime
from tickets.config import Settings
from tickets.logging_setup import configure_logging
from tickets.testing.scratch_databases import execute, scratch_database

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256"
BROKER_COMMAND = "TICKETS_TEST_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/ make test"


@pytest.fixture(scope="session", autouse=True)
def quiet_logs() -> None:
    """Warnings and errors only: pytest shows them with a failing test's output."""
    configure_logging("console", "WARNING")


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """TICKETS_TEST_DATABASE_URL when set (CI), else an embedded server started for the
    session (every test shares it) and removed with its data at the end."""
    url = os.environ.get("TICKETS_TEST_DATABASE_URL")
    if url:
        yield url
        return
    from tickets.infrastructure.embedded import start_embedded

    data_dir = tmp_path_factory.mktemp("tickets-test-embedded")
    embedded = start_embedded(data_dir)
    try:
        yield embedded.url
    finally:
        embedded.stop()
        # a fresh cluster is ~100 MB: pytest keeps its last 3 temp folders, this not
        shutil.rmtree(data_dir, ignore_errors=True)


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


BROKER_HOW = f"TICKETS_TEST_BROKER_URL is not set: to run them against a RabbitMQ, {BROKER_COMMAND}"


@pytest.fixture(scope="session")
def broker_url(broker_url_if_set: str | None) -> str:
    """The test RabbitMQ; unset, the tests that need it are skipped (there is no
    embedded broker), except in CI, which must run them."""
    if broker_url_if_set is None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"CI runs the broker tests, but {BROKER_HOW}", pytrace=False)
        pytest.skip(BROKER_HOW)
    return broker_url_if_set


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line at the end of a run that skipped the broker tests: how to run them."""
    skipped = terminalreporter.stats.get("skipped", [])
    count = sum(1 for report in skipped if BROKER_HOW in str(report.longrepr))
    if count:
        terminalreporter.write_line(
            f"{count} broker test(s) skipped; to run them: {BROKER_COMMAND}", yellow=True
        )


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
