"""Outbox wake-up after commit: the NOTIFY trigger of 0003 is dropped.

A NOTIFY inside a transaction makes its commit take a lock that PostgreSQL holds for the
whole server until the commit is flushed, so with the trigger every command committed
alone. The wake-up is now sent after the commit, shared by the commits of that moment
(infrastructure.outbox_wake_ups).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "tickets"
CHANNEL = "tickets_outbox"  # infrastructure.outbox_rows.NOTIFY_CHANNEL, frozen here


def upgrade() -> None:
    op.execute(f"DROP TRIGGER outbox_messages_notify ON {S}.outbox_messages")
    op.execute(f"DROP FUNCTION {S}.notify_outbox()")


def downgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION {S}.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER outbox_messages_notify
        AFTER INSERT ON {S}.outbox_messages
        FOR EACH STATEMENT EXECUTE FUNCTION {S}.notify_outbox()
        """
    )
