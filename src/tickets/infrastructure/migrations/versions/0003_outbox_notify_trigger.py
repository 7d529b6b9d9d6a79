"""Outbox wake-up by trigger: every INSERT into the outbox queues a NOTIFY.

The command path used to send ``SELECT pg_notify(...)`` itself, one more round trip per
command. A statement-level trigger queues the same notification inside the inserting
transaction, so it is still delivered only on commit (never for rolled-back rows), and
PostgreSQL folds identical notifications of one transaction into one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "tickets"
CHANNEL = "tickets_outbox"  # infrastructure.outbox_rows.NOTIFY_CHANNEL, frozen here


def upgrade() -> None:
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


def downgrade() -> None:
    op.execute(f"DROP TRIGGER outbox_messages_notify ON {S}.outbox_messages")
    op.execute(f"DROP FUNCTION {S}.notify_outbox()")
