"""Read schema: the read model's progress is a position per lane, not a row per message.

``read.subscription_lanes`` and ``read.subscription_parked`` hold the ``read_model``
subscription's progress next to its effects, so that effect and progress commit in one
transaction; ``read.processed_messages`` is dropped. When the event log is in this
database, the lanes start after what both projections had processed (a ticket with an
unprocessed row below that is parked, so it is delivered from there); otherwise they
start at 0, and the projections' version guard skips what they had already applied.

Revision ID: r0002
Revises: r0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "r0002"
down_revision: str | None = "r0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LANES = 16
PROJECTIONS = "ARRAY['ticket_list', 'ticket_details']"

TABLES = """
CREATE TABLE read.subscription_lanes (
    subscription text NOT NULL,
    lane         smallint NOT NULL,
    position     bigint NOT NULL DEFAULT 0,
    leased_by    text,
    lease_until  timestamptz,
    PRIMARY KEY (subscription, lane)
);
CREATE TABLE read.subscription_parked (
    subscription    text NOT NULL,
    aggregate_id    uuid NOT NULL,
    from_version    int NOT NULL,
    message_id      uuid NOT NULL,
    status          text NOT NULL CHECK (status IN ('retrying', 'dead')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    parked_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription, aggregate_id)
);
CREATE INDEX ix_read_parked_due ON read.subscription_parked (subscription, next_attempt_at)
    WHERE status = 'retrying';
CREATE TABLE read.delivery_workers (
    worker      text PRIMARY KEY,
    alive_until timestamptz NOT NULL
)
"""

TRACKED = f"""(SELECT count(*) FROM read.processed_messages p
                WHERE p.message_id = o.id AND p.projection = ANY({PROJECTIONS})) = 2"""
SEED = f"""
DO $$ BEGIN
IF to_regclass('tickets.outbox_head') IS NOT NULL THEN
  -- nested: a condition naming the log is planned only where the log exists
  IF EXISTS (SELECT 1 FROM tickets.outbox_messages) THEN
    INSERT INTO read.subscription_lanes (subscription, lane, position)
    SELECT 'read_model', l, coalesce((SELECT max(o.position) FROM tickets.outbox_messages o
                                       WHERE o.lane = l AND {TRACKED}), 0)
      FROM generate_series(0, {LANES - 1}) AS l;
    INSERT INTO read.subscription_parked (subscription, aggregate_id, from_version,
                                          message_id, status)
    SELECT DISTINCT ON (o.aggregate_id) 'read_model', o.aggregate_id, o.aggregate_version,
           o.id, 'retrying'
      FROM tickets.outbox_messages o
      JOIN read.subscription_lanes l ON l.subscription = 'read_model' AND l.lane = o.lane
     WHERE o.position <= l.position AND NOT {TRACKED}
     ORDER BY o.aggregate_id, o.aggregate_version;
  END IF;
END IF;
END $$
"""

DOWN_TABLE = """
CREATE TABLE read.processed_messages (
    projection   text NOT NULL,
    message_id   uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, message_id)
)
"""
DOWN_SEED = f"""
DO $$ BEGIN
IF to_regclass('tickets.outbox_head') IS NOT NULL THEN
    INSERT INTO read.processed_messages (projection, message_id)
    SELECT p.name, m.id
      FROM read.subscription_lanes l
      JOIN tickets.outbox_messages m ON m.lane = l.lane AND m.position <= l.position
      CROSS JOIN unnest({PROJECTIONS}) AS p(name)
     WHERE l.subscription = 'read_model'
       AND NOT EXISTS (SELECT 1 FROM read.subscription_parked k
                        WHERE k.subscription = 'read_model' AND k.aggregate_id = m.aggregate_id
                          AND k.from_version <= m.aggregate_version);
END IF;
END $$
"""
DOWN_DROP = "DROP TABLE read.subscription_lanes, read.subscription_parked, read.delivery_workers"


def upgrade() -> None:
    for statement in TABLES.split(";"):
        op.execute(statement)
    op.execute(SEED)
    op.execute("DROP TABLE read.processed_messages")


def downgrade() -> None:
    for statement in (DOWN_TABLE, DOWN_SEED, DOWN_DROP):
        op.execute(statement)
