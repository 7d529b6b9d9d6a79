"""A fresh database and a unique exchange per broker test, with a runtime publishing there."""

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.conftest import settings_for
from tests.support.broker import Consumer, consuming, delete_exchange, unique_exchange
from tickets.bootstrap import Runtime, open_runtime
from tickets.testing.scratch_databases import scratch_database


@pytest_asyncio.fixture
async def exchange(broker_url: str) -> AsyncIterator[str]:
    name = unique_exchange()
    yield name
    await delete_exchange(broker_url, name)


@pytest_asyncio.fixture
async def consumer(broker_url: str, exchange: str) -> AsyncIterator[Consumer]:
    async with consuming(broker_url, exchange) as bound:
        yield bound


@pytest_asyncio.fixture
async def broker_runtime(server_url: str, broker_url: str, exchange: str) -> AsyncIterator[Runtime]:
    async with (
        scratch_database(server_url) as url,
        open_runtime(settings_for(url, broker_url=broker_url, broker_exchange=exchange)) as rt,
    ):
        yield rt
