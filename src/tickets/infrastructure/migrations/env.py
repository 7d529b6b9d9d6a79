"""Alembic environment of the write schema, `tickets`."""

from tickets.infrastructure.migrate import run_migrations

MIGRATION_LOCK = 7_243_011  # pg advisory lock id: concurrent starters migrate one at a time

run_migrations("tickets", MIGRATION_LOCK)
