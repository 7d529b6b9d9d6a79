"""Alembic environment for the read schema; its version table lives in `read`."""

import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from tickets.infrastructure.database import sqlalchemy_url

SCHEMA = "read"
MIGRATION_LOCK = 7_243_012  # not the write schema's lock: the two may share a database
config = context.config


def _run(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
    context.configure(connection=connection, version_table_schema=SCHEMA)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    url = config.attributes["url"]
    engine = create_async_engine(sqlalchemy_url(str(url)), poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


asyncio.run(_run_online())
