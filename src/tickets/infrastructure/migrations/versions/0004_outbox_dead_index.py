"""Outbox: a partial index of the dead letters.

The queue statistics (pending, held, dead, oldest age) start from the dead letters:
they are few, and each holds back only its own ticket. Without an index of them, each
statistics query scanned the whole outbox (processed rows included), and the held count
probed every pending row; on a large backlog that took seconds. The index holds only
dead rows, so writes of every other row never touch it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "tickets"


def upgrade() -> None:
    op.create_index(
        "ix_outbox_dead",
        "outbox_messages",
        ["aggregate_id", "aggregate_version"],
        schema=S,
        postgresql_where=sa.text("status = 'dead'"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_dead", "outbox_messages", schema=S)
