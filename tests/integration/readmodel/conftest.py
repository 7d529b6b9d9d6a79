"""Read-model fixtures: a database of one's own when a test needs exact outbox state or
writes synthetic events (kept out of the shared session database and its event log)."""

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.conftest import FAST_RETRIES, settings_for
from tickets.bootstrap import Runtime, open_runtime
from tickets.testing.scratch_databases import scratch_database


@pytest_asyncio.fixture
async def fresh_runtime(server_url: str) -> AsyncIterator[Runtime]:
    """A runtime on a database created for this test alone, with fast retries."""
    async with (
        scratch_database(server_url) as url,
        open_runtime(settings_for(url, **FAST_RETRIES)) as running,
    ):
        yield running


@pytest_asyncio.fixture(scope="package")
async def scratch(server_url: str) -> AsyncIterator[Runtime]:
    """A runtime on a database of this package's own, for projections applied directly
    to synthetic events (each test uses its own ticket and author ids; none delivers
    through its outbox)."""
    async with (
        scratch_database(server_url) as url,
        open_runtime(settings_for(url, **FAST_RETRIES)) as running,
    ):
        yield running
