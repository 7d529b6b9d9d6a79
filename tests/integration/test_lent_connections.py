"""Lent: a pooled connection waited for within a bound, and never leaked by a wait
that ran out."""

import asyncio
from typing import Any, cast

import asyncpg
import pytest

from tickets.application.errors import ServiceUnavailable
from tickets.infrastructure.pools import Lent, create_pool, nothing_to_reset


async def test_a_wait_past_its_bound_is_service_unavailable_and_leaks_nothing(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, max_size=1, reset=nothing_to_reset)
    try:
        async with Lent(pool, 1.0) as held:
            for _ in range(3):  # each wait runs out while the only connection is held
                with pytest.raises(ServiceUnavailable):
                    async with Lent(pool, 0.05):
                        pass
            assert await held.fetchval("SELECT 1") == 1
        # Every timed-out wait gave its place back: the one connection is lent again.
        async with Lent(pool, 1.0) as again:
            assert await again.fetchval("SELECT 2") == 2
            assert pool.get_idle_size() == 0
        assert pool.get_idle_size() == 1
    finally:
        await pool.close()


async def test_a_waiter_gets_the_connection_released_meanwhile(database_url: str) -> None:
    pool = await create_pool(database_url, max_size=1, reset=nothing_to_reset)
    try:
        first = Lent(pool, 1.0)
        await first.__aenter__()
        waiter = asyncio.create_task(_one(pool))
        await asyncio.sleep(0)  # the waiter is queued behind the lent connection
        assert not waiter.done()
        await first.__aexit__(None, None, None)
        assert await waiter == 1
    finally:
        await pool.close()


async def _one(pool: asyncpg.Pool) -> int:
    async with Lent(pool, 5.0) as connection:
        value: int = await connection.fetchval("SELECT 1")
        return value


class _Releases:
    """The pool, with the keyword arguments of each release recorded."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.released: list[dict[str, object]] = []

    def acquire(self) -> object:
        return self.pool.acquire()

    async def release(self, connection: asyncpg.Connection, **options: Any) -> None:
        self.released.append(options)
        await self.pool.release(connection, **options)


async def test_only_a_block_that_raised_bounds_its_release(database_url: str) -> None:
    """A release bounded by a timer costs a timer per query; only a connection back from
    a block that raised may still wait on a cancelled statement."""
    pool = await create_pool(database_url, max_size=1, reset=nothing_to_reset)
    recorded = _Releases(pool)
    lend = cast(asyncpg.Pool, recorded)
    try:
        async with Lent(lend, 1.5) as connection:
            await connection.fetchval("SELECT 1")
        with pytest.raises(ZeroDivisionError):
            async with Lent(lend, 1.5):
                raise ZeroDivisionError
        assert recorded.released == [{}, {"timeout": 1.5}]
        assert pool.get_idle_size() == 1
    finally:
        await pool.close()
