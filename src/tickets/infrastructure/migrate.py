"""Apply Alembic migrations programmatically (used by `tickets migrate` and on start),
and the environment both schemas' migrations run in."""

import asyncio
import logging

from alembic import command, context
from alembic.config import Config
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from tickets.infrastructure.database import sqlalchemy_url

WRITE_SCRIPTS = "tickets.infrastructure:migrations"
READ_SCRIPTS = "tickets.infrastructure:read_migrations"

log = logging.getLogger("tickets.migrate")


class _AppliedSteps(logging.Handler):
    """Collects alembic's "Running upgrade a -> b" records while it migrates."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.steps: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Running upgrade"):
            self.steps.append(message.removeprefix("Running upgrade").split(",", 1)[0].strip())


def alembic_config(url: str, scripts: str = WRITE_SCRIPTS) -> Config:
    config = Config()
    config.set_main_option("script_location", scripts)
    config.attributes["url"] = url
    return config


def upgrade_to_head(url: str, read_url: str | None = None) -> list[str]:
    """Bring the write schema at ``url`` and the read schema at ``read_url`` (default: the
    same database) up to date, and return the steps applied. Blocking; call it off the
    event loop. Quiet when there was nothing to do; one INFO line when there was."""
    migration_log = logging.getLogger("alembic.runtime.migration")
    collector = _AppliedSteps()
    level, propagate = migration_log.level, migration_log.propagate
    migration_log.addHandler(collector)
    migration_log.setLevel(logging.INFO)  # the steps must reach the collector…
    # …and alembic's own lines the console only when debugging
    migration_log.propagate = logging.getLogger("alembic").isEnabledFor(logging.DEBUG)
    try:
        command.upgrade(alembic_config(url), "head")
        write_steps = len(collector.steps)
        command.upgrade(alembic_config(read_url or url, READ_SCRIPTS), "head")
    finally:
        migration_log.removeHandler(collector)
        migration_log.setLevel(level)
        migration_log.propagate = propagate
    steps = collector.steps
    if steps:
        log.info(
            "migrations applied: write schema %s, read schema %s",
            _span(steps[:write_steps]),
            _span(steps[write_steps:]),
        )
    else:
        log.debug("migrations: schemas already up to date")
    return steps


def run_migrations(schema: str, lock: int) -> None:
    """Run the pending migrations of ``schema`` (called by its alembic env.py), over the
    project's async driver, with the version table in ``schema``. ``lock`` is an advisory
    lock id held for the transaction, so processes starting together migrate one at a
    time."""

    def migrate(connection: Connection) -> None:
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock})
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        context.configure(connection=connection, version_table_schema=schema)
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        url = context.config.attributes["url"]
        engine = create_async_engine(sqlalchemy_url(str(url)), poolclass=pool.NullPool)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(migrate)
        finally:
            await engine.dispose()

    asyncio.run(online())


def _span(steps: list[str]) -> str:
    if not steps:
        return "up to date"
    first, last = steps[0].split("->")[0].strip(), steps[-1].split("->")[-1].strip()
    return f"{first or 'empty'} -> {last} ({len(steps)} step{'s' if len(steps) > 1 else ''})"
