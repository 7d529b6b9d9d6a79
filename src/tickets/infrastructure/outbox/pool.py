"""asyncpg pools with JSON codecs, for the worker and the read side."""

import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg


async def _init(connection: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(
    url: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    reset: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
    server_settings: dict[str, str] | None = None,
) -> asyncpg.Pool:
    """``reset`` replaces the reset query run when a connection is released;
    ``server_settings`` are session settings of every connection."""
    pool: Any = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=_init,
        command_timeout=60,
        reset=reset,
        server_settings=server_settings,
    )
    return pool  # type: ignore[no-any-return]


async def connect(url: str) -> asyncpg.Connection:
    connection = await asyncpg.connect(url, timeout=10)
    await _init(connection)
    return connection
