"""Throwaway databases on a PostgreSQL server, for tests and benchmark scenarios."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url

CONNECT_TIMEOUT_SECONDS = 10.0


def with_database(url: str, name: str) -> str:
    """``url`` pointed at the database ``name`` on the same server."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def execute(url: str, sql: str) -> None:
    """Run one statement on a connection of its own (CREATE and DROP DATABASE refuse
    to run inside a transaction or a pool's session)."""
    connection = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def scratch_database(server_url: str) -> AsyncIterator[str]:
    """A new, uniquely named, empty database, dropped when the block exits."""
    name = f"tickets_scratch_{uuid.uuid4().hex[:10]}"
    await execute(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_url, name)
    finally:
        await execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
