"""The outbox becomes a positioned, partitioned event log read by subscriptions.

- ``outbox_messages`` is recreated partitioned by month of ``occurred_at`` (plus a
  default partition). A row is inserted with ``position`` NULL, a ``seq`` from a
  sequence, and a generated ``lane`` (a hash of its ticket); the sequencer gives
  committed rows their positions later (infrastructure.outbox.sequencer). The delivery
  columns (status, attempts, leases) go: progress is a position per subscription and
  lane, failures are parked tickets per subscription.
- ``subscription_lanes``, ``subscription_parked`` and ``delivery_workers`` hold that
  progress for the subscriptions whose effects live in this database;
  ``processed_messages`` (one row per message and handler) is dropped.
- Existing rows keep their positions; each subscription's lanes start after what it
  had processed, and a ticket that was retrying or dead is parked for it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "tickets"
LANES = 16  # infrastructure.outbox.lanes.LANES, frozen here

LOG = f"""
CREATE SEQUENCE {S}.outbox_seq;
CREATE TABLE {S}.outbox_log (
    id                uuid NOT NULL,
    seq               bigint NOT NULL DEFAULT nextval('{S}.outbox_seq'),
    position          bigint,
    aggregate_id      uuid NOT NULL,
    aggregate_version int NOT NULL,
    lane              smallint GENERATED ALWAYS AS
                          ((get_byte(uuid_send(aggregate_id), 15) % {LANES})::smallint) STORED,
    event_type        text NOT NULL,
    payload           jsonb NOT NULL,
    metadata          jsonb NOT NULL,
    occurred_at       timestamptz NOT NULL,
    CONSTRAINT pk_outbox_log PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE TABLE {S}.outbox_messages_default PARTITION OF {S}.outbox_log DEFAULT;
CREATE INDEX ix_outbox_lane_position ON {S}.outbox_log (lane, position);
CREATE INDEX ix_outbox_position ON {S}.outbox_log (position);
CREATE INDEX ix_outbox_unpositioned ON {S}.outbox_log (seq) WHERE position IS NULL;
CREATE INDEX ix_outbox_aggregate ON {S}.outbox_log (aggregate_id, aggregate_version);
CREATE INDEX ix_outbox_id ON {S}.outbox_log (id);
CREATE TABLE {S}.outbox_head (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    position bigint NOT NULL
);
CREATE TABLE {S}.subscription_lanes (
    subscription text NOT NULL,
    lane         smallint NOT NULL,
    position     bigint NOT NULL DEFAULT 0,
    leased_by    text,
    lease_until  timestamptz,
    PRIMARY KEY (subscription, lane)
);
CREATE TABLE {S}.subscription_parked (
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
CREATE INDEX ix_subscription_parked_due ON {S}.subscription_parked (subscription, next_attempt_at)
    WHERE status = 'retrying';
CREATE TABLE {S}.delivery_workers (
    worker      text PRIMARY KEY,
    alive_until timestamptz NOT NULL
)
"""

# The sequencer (infrastructure.outbox.sequencer): one statement, so one round trip.
# The advisory lock serializes runs; each statement of a volatile plpgsql function takes
# a new snapshot, so the UPDATE sees every row committed before the lock was granted,
# the previous run's positions included. Seq and bitmap scans are off for the call so
# that no statistics can turn the LIMIT over the partial index into a scan of the log;
# JIT is off because the one-row head table's scan then costs "disabled", which would
# otherwise make every call compile its plan (about 100 ms).
SEQUENCER = f"""
CREATE FUNCTION {S}.assign_positions(max_rows int) RETURNS bigint
LANGUAGE plpgsql SET enable_seqscan = off SET enable_bitmapscan = off SET jit = off AS $$
DECLARE
    head bigint;
    n bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7405321911);
    SELECT h.position INTO head FROM {S}.outbox_head h;
    WITH next AS (
        SELECT s.id, s.occurred_at, row_number() OVER (ORDER BY s.seq) AS k
          FROM (SELECT u.id, u.occurred_at, u.seq FROM {S}.outbox_messages u
                 WHERE u.position IS NULL ORDER BY u.seq LIMIT max_rows) s
    )
    UPDATE {S}.outbox_messages m SET position = head + next.k
      FROM next WHERE m.id = next.id AND m.occurred_at = next.occurred_at;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        UPDATE {S}.outbox_head SET position = head + n;
    END IF;
    RETURN n;
END
$$
"""

# The claim (infrastructure.outbox.store): a function so that its planner settings hold
# for it alone, in one round trip. For each lane, the rows after its position up to the
# head, in position order: an index-ordered scan of (lane, position) with a LIMIT, the
# head and every lane's page in one statement's snapshot.
CLAIM = f"""
CREATE FUNCTION {S}.claim_pages(lanes smallint[], afters bigint[], per_lane int)
RETURNS TABLE (id uuid, "position" bigint, lane smallint, aggregate_id uuid,
               aggregate_version int, event_type text, payload jsonb, correlation_id text,
               occurred_at timestamptz, traceparent text, tracestate text)
LANGUAGE sql STABLE SET enable_seqscan = off SET enable_bitmapscan = off SET jit = off AS $$
    SELECT m.id, m.position, m.lane, m.aggregate_id, m.aggregate_version, m.event_type,
           m.payload, m.metadata ->> 'correlation_id', m.occurred_at,
           m.metadata ->> 'traceparent', m.metadata ->> 'tracestate'
      FROM unnest(lanes, afters) AS l(lane, after)
     CROSS JOIN LATERAL (
           SELECT * FROM {S}.outbox_messages o
            WHERE o.lane = l.lane AND o.position > l.after
              AND o.position <= (SELECT h.position FROM {S}.outbox_head h)
            ORDER BY o.position LIMIT per_lane) m
$$
"""

MONTHS = f"""
DO $$
DECLARE m date;
BEGIN
    m := date_trunc('month', least(now(), coalesce(
        (SELECT min(occurred_at) FROM {S}.outbox_messages), now())))::date;
    WHILE m <= (date_trunc('month', now()) + interval '2 months')::date LOOP
        EXECUTE format(
            'CREATE TABLE {S}.outbox_messages_p%s PARTITION OF {S}.outbox_log '
            'FOR VALUES FROM (%L) TO (%L)',
            to_char(m, 'YYYYMM'), m, (m + interval '1 month')::date);
        m := (m + interval '1 month')::date;
    END LOOP;
END $$
"""

COPY = f"""
INSERT INTO {S}.outbox_log (id, seq, position, aggregate_id, aggregate_version, event_type,
                            payload, metadata, occurred_at)
SELECT id, position, position, aggregate_id, aggregate_version, event_type, payload,
       metadata, occurred_at
  FROM {S}.outbox_messages
"""

HEAD = f"""
INSERT INTO {S}.outbox_head (position)
SELECT coalesce(max(position), 0) FROM {S}.outbox_messages
"""

# A subscription's lane starts after the highest row it had finished (its tracking row,
# a message every handler finished, or a dead letter); a ticket with an unfinished row
# at or below that is parked for it, so the retry path delivers it from there in order.
DONE = f"""(o.status IN ('processed', 'discarded', 'dead') OR EXISTS (
    SELECT 1 FROM {S}.processed_messages p WHERE p.handler = $1 AND p.message_id = o.id))"""
SEED_LANES = f"""
INSERT INTO {S}.subscription_lanes (subscription, lane, position)
SELECT $1, l, coalesce((SELECT max(o.position) FROM {S}.outbox_messages o
                         WHERE get_byte(uuid_send(o.aggregate_id), 15) % {LANES} = l
                           AND {DONE}), 0)
  FROM generate_series(0, {LANES - 1}) AS l
"""
SEED_PARKED = f"""
INSERT INTO {S}.subscription_parked (subscription, aggregate_id, from_version, message_id,
                                     status, attempts, last_error)
SELECT DISTINCT ON (o.aggregate_id) $1, o.aggregate_id, o.aggregate_version, o.id,
       CASE WHEN o.status = 'dead' THEN 'dead' ELSE 'retrying' END, o.attempts, o.last_error
  FROM {S}.outbox_messages o
  JOIN {S}.subscription_lanes l ON l.subscription = $1
   AND l.lane = get_byte(uuid_send(o.aggregate_id), 15) % {LANES}
 WHERE o.position <= l.position
   AND o.status IN ('pending', 'dead')
   AND NOT EXISTS (SELECT 1 FROM {S}.processed_messages p
                    WHERE p.handler = $1 AND p.message_id = o.id)
 ORDER BY o.aggregate_id, o.aggregate_version
"""


def upgrade() -> None:
    for statement in LOG.split(";"):
        op.execute(statement)
    op.execute(MONTHS)
    op.execute(COPY)
    op.execute(HEAD)
    op.execute(
        f"SELECT setval('{S}.outbox_seq', (SELECT position FROM {S}.outbox_head) + 1, false)"
    )
    # Progress only where there was a log: on an empty one, every subscription starts
    # at 0 when a worker first runs it. The broker's only if it had any (one configured
    # later starts at 0).
    for name, condition in (
        ("notifications", f"EXISTS (SELECT 1 FROM {S}.outbox_messages)"),
        ("broker", f"EXISTS (SELECT 1 FROM {S}.processed_messages WHERE handler = 'broker')"),
    ):
        op.execute(
            f"""DO $$ BEGIN IF {condition} THEN
                {SEED_LANES.replace("$1", f"'{name}'")};
                {SEED_PARKED.replace("$1", f"'{name}'")};
            END IF; END $$"""
        )
    op.execute(f"DROP TABLE {S}.outbox_messages")
    op.execute(f"DROP TABLE {S}.processed_messages")
    op.execute(f"ALTER TABLE {S}.outbox_log RENAME TO outbox_messages")
    op.execute(SEQUENCER)
    op.execute(CLAIM)


DOWN_TABLES = f"""
CREATE TABLE {S}.outbox_old (
    id uuid PRIMARY KEY,
    position bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    aggregate_id uuid NOT NULL,
    aggregate_version int NOT NULL,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    metadata jsonb NOT NULL,
    occurred_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    last_error text,
    claimed_by text,
    claimed_until timestamptz
) WITH (fillfactor = 70);
CREATE TABLE {S}.processed_messages (
    handler text NOT NULL,
    message_id uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (handler, message_id)
)
"""

# A row is processed when every subscription of this database is past it (and not
# parked on its ticket at or before it); a parked dead row is dead again.
DOWN_COPY = f"""
WITH numbered AS (
    SELECT m.*, coalesce(m.position, (SELECT position FROM {S}.outbox_head)
                         + row_number() OVER (PARTITION BY m.position IS NULL ORDER BY m.seq))
                AS pos
      FROM {S}.outbox_messages m
)
INSERT INTO {S}.outbox_old (id, position, aggregate_id, aggregate_version, event_type,
                            payload, metadata, occurred_at, status, attempts, last_error,
                            processed_at)
OVERRIDING SYSTEM VALUE
SELECT n.id, n.pos, n.aggregate_id, n.aggregate_version, n.event_type, n.payload,
       n.metadata, n.occurred_at,
       CASE WHEN EXISTS (SELECT 1 FROM {S}.subscription_parked p
                          WHERE p.aggregate_id = n.aggregate_id AND p.status = 'dead'
                            AND p.from_version = n.aggregate_version) THEN 'dead'
            WHEN n.position IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM {S}.subscription_lanes l
                              WHERE l.lane = n.lane AND l.position < n.position)
             AND NOT EXISTS (SELECT 1 FROM {S}.subscription_parked p
                              WHERE p.aggregate_id = n.aggregate_id
                                AND p.from_version <= n.aggregate_version) THEN 'processed'
            ELSE 'pending' END,
       0, NULL, NULL
  FROM numbered n
"""
DOWN_TRACKING = f"""
INSERT INTO {S}.processed_messages (handler, message_id)
SELECT l.subscription, m.id
  FROM {S}.subscription_lanes l
  JOIN {S}.outbox_messages m ON m.lane = l.lane AND m.position <= l.position
 WHERE NOT EXISTS (SELECT 1 FROM {S}.subscription_parked p
                    WHERE p.subscription = l.subscription AND p.aggregate_id = m.aggregate_id
                      AND p.from_version <= m.aggregate_version)
"""
DOWN_FINISH = f"""
SELECT setval(pg_get_serial_sequence('{S}.outbox_old', 'position'),
              greatest((SELECT max(position) FROM {S}.outbox_old), 1));
UPDATE {S}.outbox_old SET processed_at = now() WHERE status = 'processed';
DROP FUNCTION {S}.assign_positions(int);
DROP FUNCTION {S}.claim_pages(smallint[], bigint[], int);
DROP TABLE {S}.outbox_messages;
DROP TABLE {S}.outbox_head, {S}.subscription_lanes, {S}.subscription_parked,
           {S}.delivery_workers;
DROP SEQUENCE {S}.outbox_seq;
ALTER TABLE {S}.outbox_old RENAME TO outbox_messages;
ALTER TABLE {S}.outbox_messages RENAME CONSTRAINT outbox_old_pkey TO outbox_messages_pkey;
ALTER TABLE {S}.outbox_messages ADD CONSTRAINT uq_outbox_position UNIQUE (position);
ALTER TABLE {S}.outbox_messages ADD CONSTRAINT uq_outbox_aggregate_version
    UNIQUE (aggregate_id, aggregate_version);
ALTER TABLE {S}.outbox_messages ADD CONSTRAINT ck_outbox_status
    CHECK (status IN ('pending', 'processed', 'dead', 'discarded'));
CREATE INDEX ix_outbox_pending_position ON {S}.outbox_messages (position)
    WHERE status = 'pending';
CREATE INDEX ix_outbox_unfinished ON {S}.outbox_messages (aggregate_id, aggregate_version)
    WHERE status IN ('pending', 'dead');
CREATE INDEX ix_outbox_dead ON {S}.outbox_messages (aggregate_id, aggregate_version)
    WHERE status = 'dead'
"""


def downgrade() -> None:
    for statement in DOWN_TABLES.split(";"):
        op.execute(statement)
    op.execute(DOWN_COPY)
    op.execute(DOWN_TRACKING)
    for statement in DOWN_FINISH.split(";"):
        if statement.strip():
            op.execute(statement)
