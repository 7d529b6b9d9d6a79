"""Read schema: ticket list, ticket details, status counts, projection tracking.

Revision ID: r0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "r0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE read.ticket_list (
    ticket_id     uuid PRIMARY KEY,
    title         text NOT NULL,
    status        text NOT NULL,
    author_id     uuid NOT NULL,
    author_name   text NOT NULL,
    comment_count int NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    version       int NOT NULL,
    title_search  tsvector GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED
);
-- keyset pages: (sort column, id), with and without the author / status filters
CREATE INDEX ticket_list_created ON read.ticket_list (created_at, ticket_id);
CREATE INDEX ticket_list_updated ON read.ticket_list (updated_at, ticket_id);
CREATE INDEX ticket_list_author_created ON read.ticket_list (author_id, created_at, ticket_id);
CREATE INDEX ticket_list_author_updated ON read.ticket_list (author_id, updated_at, ticket_id);
CREATE INDEX ticket_list_status_created ON read.ticket_list (status, created_at, ticket_id);
CREATE INDEX ticket_list_status_updated ON read.ticket_list (status, updated_at, ticket_id);
CREATE INDEX ticket_list_author_name ON read.ticket_list (author_name, created_at, ticket_id);
-- title search: full text ('simple' config, prefix matching). pg_trgm is not in the
-- embedded server's build, so trigram indexes are not an option everywhere
CREATE INDEX ticket_list_title_search ON read.ticket_list USING gin (title_search);

CREATE TABLE read.ticket_details (
    ticket_id       uuid PRIMARY KEY,
    title           text NOT NULL,
    description     text NOT NULL,
    status          text NOT NULL,
    author_id       uuid NOT NULL,
    author_name     text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         int NOT NULL,
    decided_by_id   uuid,
    decided_by_name text,
    decided_at      timestamptz,
    decision        text,
    reason          text,
    comments        jsonb NOT NULL DEFAULT '[]',
    history         jsonb NOT NULL DEFAULT '[]'
);

CREATE TABLE read.status_counts (
    author_id uuid NOT NULL,
    status    text NOT NULL,
    count     int NOT NULL,
    PRIMARY KEY (author_id, status)
);

CREATE TABLE read.processed_messages (
    projection   text NOT NULL,
    message_id   uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, message_id)
);
"""


def upgrade() -> None:
    for statement in UPGRADE.split(";"):  # one statement per call: asyncpg prepares each
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    op.execute(
        "DROP TABLE read.processed_messages, read.status_counts, read.ticket_details, "
        "read.ticket_list"
    )
