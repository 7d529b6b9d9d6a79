"""Read-model fixtures: a database of one's own when a test needs exact outbox state or
writes synthetic events (kept out of the shared session database and its event log)."""

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio

from tests.conftest import _execute, settings_for, with_database
from tickets.bootstrap import Runtime, open_runtime

FAST_RETRIES = {"outbox_retry_base_seconds": 0.01, "outbox_retry_cap_seconds": 0.05}


async def _fresh_database(server_url: str) -> AsyncIterator[str]:
    name = f"tickets_read_{uuid.uuid4().hex[:12]}"
    await _execute(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_url, name)
    finally:
        await _execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture
async def fresh_runtime(server_url: str) -> AsyncIterator[Runtime]:
    """A runtime on a database created for this test alone, with fast retries."""
    async for url in _fresh_database(server_url):
        async with open_runtime(settings_for(url, **FAST_RETRIES)) as running:
            yield running


@pytest_asyncio.fixture(scope="package")
async def scratch(server_url: str) -> AsyncIterator[Runtime]:
    """A runtime on a database of this package's own, for projections applied directly
    to synthetic events (each test uses its own ticket and author ids; none delivers
    through its outbox)."""
    async for url in _fresh_database(server_url):
        async with open_runtime(settings_for(url, **FAST_RETRIES)) as running:
            yield running
