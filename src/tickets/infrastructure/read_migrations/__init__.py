"""Alembic migrations of the read schema (`read`), applied to the read database."""
