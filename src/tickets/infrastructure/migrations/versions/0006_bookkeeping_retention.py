"""Bookkeeping retention: notifications can be marked read, and every table the
retention task prunes has an index on the time its window counts from, so that each
small delete batch is an index scan, never a table scan.

The indexes are built with plain CREATE INDEX inside the migration's transaction: it
blocks writes to these (bookkeeping) tables while it runs, seconds for millions of rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "tickets"
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("notifications", sa.Column("read_at", TZ), schema=S)
    # A user's notifications newest first, keyset-paged on (created_at, id).
    op.drop_index("ix_notifications_user", "notifications", schema=S)
    op.create_index(
        "ix_notifications_user", "notifications", ["user_id", "created_at", "id"], schema=S
    )
    op.create_index(
        "ix_notifications_unread_age",
        "notifications",
        ["created_at"],
        schema=S,
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_index(
        "ix_notifications_read_age",
        "notifications",
        ["read_at"],
        schema=S,
        postgresql_where=sa.text("read_at IS NOT NULL"),
    )
    op.create_index("ix_idempotency_keys_age", "idempotency_keys", ["created_at"], schema=S)
    op.create_index("ix_outbox_attempts_age", "outbox_attempts", ["failed_at"], schema=S)
    op.create_index("ix_dead_letter_audit_age", "dead_letter_audit", ["at"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_dead_letter_audit_age", "dead_letter_audit", schema=S)
    op.drop_index("ix_outbox_attempts_age", "outbox_attempts", schema=S)
    op.drop_index("ix_idempotency_keys_age", "idempotency_keys", schema=S)
    op.drop_index("ix_notifications_read_age", "notifications", schema=S)
    op.drop_index("ix_notifications_unread_age", "notifications", schema=S)
    op.drop_index("ix_notifications_user", "notifications", schema=S)
    op.create_index("ix_notifications_user", "notifications", ["user_id", "created_at"], schema=S)
    op.drop_column("notifications", "read_at", schema=S)
