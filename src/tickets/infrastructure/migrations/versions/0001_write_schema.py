"""Write schema: users, tickets, comments, outbox messages, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "tickets"
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {S}")
    op.create_table(
        "users",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("roles", ARRAY(sa.Text), nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_table(
        "tickets",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("author_id", UUID(as_uuid=True), nullable=False),
        sa.Column("author_name", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'rejected')", name="ck_tickets_status"
        ),
        schema=S,
    )
    op.create_table(
        "comments",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "ticket_id", UUID(as_uuid=True), sa.ForeignKey(f"{S}.tickets.id"), nullable=False
        ),
        sa.Column("author_id", UUID(as_uuid=True), nullable=False),
        sa.Column("author_name", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        schema=S,
    )
    op.create_index("ix_comments_ticket_id", "comments", ["ticket_id"], schema=S)
    op.create_table(
        "outbox_messages",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("position", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("aggregate_id", UUID(as_uuid=True), nullable=False),
        sa.Column("aggregate_version", sa.Integer, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("metadata", JSONB, nullable=False),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("processed_at", TZ),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("position", name="uq_outbox_position"),
        sa.UniqueConstraint(
            "aggregate_id", "aggregate_version", name="uq_outbox_aggregate_version"
        ),
        sa.CheckConstraint("status IN ('pending', 'processed', 'dead')", name="ck_outbox_status"),
        schema=S,
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox_messages",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("response", JSONB, nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        schema=S,
    )


def downgrade() -> None:
    for table in ("idempotency_keys", "outbox_messages", "comments", "tickets", "users"):
        op.drop_table(table, schema=S)
