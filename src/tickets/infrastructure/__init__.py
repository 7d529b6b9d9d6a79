"""Adapters: PostgreSQL persistence, the outbox, migrations, the embedded server."""
