"""Alembic migration scripts for the write schema."""
