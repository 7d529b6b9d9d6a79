"""The write database's tables as SQLAlchemy Core metadata, for alembic (migrations/env.py).
Alembic migrations are the source of truth for the schema; the application's statements
are plain SQL on asyncpg (see command_writes)."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from tickets.domain.status import TicketStatus

SCHEMA = "tickets"
metadata = sa.MetaData(schema=SCHEMA)
TZ = sa.DateTime(timezone=True)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("roles", ARRAY(sa.Text), nullable=False),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("author_id", UUID(as_uuid=True), nullable=False),
    sa.Column("author_name", sa.Text, nullable=False),
    sa.Column(
        "status",
        sa.Enum(
            TicketStatus,
            native_enum=False,
            length=16,
            values_callable=lambda statuses: [s.value for s in statuses],
        ),
        nullable=False,
    ),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("updated_at", TZ, nullable=False),
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("ticket_id", UUID(as_uuid=True), sa.ForeignKey("tickets.tickets.id"), nullable=False),
    sa.Column("author_id", UUID(as_uuid=True), nullable=False),
    sa.Column("author_name", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Index("ix_comments_ticket_id", "ticket_id"),
)

outbox_messages = sa.Table(
    "outbox_messages",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("position", sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True),
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
    sa.UniqueConstraint("aggregate_id", "aggregate_version", name="uq_outbox_aggregate_version"),
    sa.CheckConstraint("status IN ('pending', 'processed', 'dead')", name="ck_outbox_status"),
    sa.Index(
        "ix_outbox_pending",
        "next_attempt_at",
        postgresql_where=sa.text("status = 'pending'"),
    ),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("fingerprint", sa.Text, nullable=False),
    sa.Column("response", JSONB, nullable=False),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
)
