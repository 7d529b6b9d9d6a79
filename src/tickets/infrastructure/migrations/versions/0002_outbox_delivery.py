"""Outbox delivery: claims with leases, attempt history, dead-letter audit,
handler tracking rows and author notifications.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "tickets"
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Room on each page lets the claim's UPDATE (lease columns only, none indexed) be a
    # HOT update: no new index entries for the row's first write after insert.
    op.execute(f"ALTER TABLE {S}.outbox_messages SET (fillfactor = 70)")
    op.add_column("outbox_messages", sa.Column("claimed_by", sa.Text), schema=S)
    op.add_column("outbox_messages", sa.Column("claimed_until", TZ), schema=S)
    op.drop_constraint("ck_outbox_status", "outbox_messages", schema=S)
    op.create_check_constraint(
        "ck_outbox_status",
        "outbox_messages",
        "status IN ('pending', 'processed', 'dead', 'discarded')",
        schema=S,
    )
    op.drop_index("ix_outbox_pending", "outbox_messages", schema=S)
    # Claim scan: pending rows in position order.
    op.create_index(
        "ix_outbox_pending_position",
        "outbox_messages",
        ["position"],
        schema=S,
        postgresql_where=sa.text("status = 'pending'"),
    )
    # Head-of-line probe: "is there an unfinished earlier version of this ticket?"
    op.create_index(
        "ix_outbox_unfinished",
        "outbox_messages",
        ["aggregate_id", "aggregate_version"],
        schema=S,
        postgresql_where=sa.text("status IN ('pending', 'dead')"),
    )
    op.create_table(
        "outbox_attempts",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("handler", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("failed_at", TZ, nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_index("ix_outbox_attempts_message", "outbox_attempts", ["message_id"], schema=S)
    op.create_table(
        "dead_letter_audit",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("actor_id", UUID(as_uuid=True), nullable=False),
        sa.Column("actor_name", sa.Text, nullable=False),
        sa.Column("at", TZ, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("action IN ('retry', 'discard')", name="ck_audit_action"),
        schema=S,
    )
    op.create_index("ix_dead_letter_audit_message", "dead_letter_audit", ["message_id"], schema=S)
    op.create_table(
        "processed_messages",
        sa.Column("handler", sa.Text, primary_key=True),
        sa.Column("message_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("processed_at", TZ, nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_table(
        "notifications",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("ticket_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        schema=S,
    )
    op.create_index("ix_notifications_user", "notifications", ["user_id", "created_at"], schema=S)


def downgrade() -> None:
    for table in ("notifications", "processed_messages", "dead_letter_audit", "outbox_attempts"):
        op.drop_table(table, schema=S)
    op.drop_index("ix_outbox_unfinished", "outbox_messages", schema=S)
    op.drop_index("ix_outbox_pending_position", "outbox_messages", schema=S)
    op.create_index(
        "ix_outbox_pending",
        "outbox_messages",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_constraint("ck_outbox_status", "outbox_messages", schema=S)
    op.create_check_constraint(
        "ck_outbox_status",
        "outbox_messages",
        "status IN ('pending', 'processed', 'dead')",
        schema=S,
    )
    op.drop_column("outbox_messages", "claimed_until", schema=S)
    op.drop_column("outbox_messages", "claimed_by", schema=S)
    op.execute(f"ALTER TABLE {S}.outbox_messages RESET (fillfactor)")
