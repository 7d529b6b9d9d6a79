"""Alembic environment of the read schema, `read`; its version table lives there."""

from tickets.infrastructure.migrate import run_migrations

MIGRATION_LOCK = 7_243_012  # not the write schema's lock: the two may share a database

run_migrations("read", MIGRATION_LOCK)
