"""Moving one schema to a chosen revision, up or down (`tickets migrate --to`): what it
would do, then doing it.

Revision ids are unique across the two schemas (the read schema's start with ``r``), so
a revision names its schema too.
"""

import asyncio
from dataclasses import dataclass

import asyncpg
from alembic import command
from alembic.script import ScriptDirectory

from tickets.infrastructure.migrate import READ_SCRIPTS, WRITE_SCRIPTS, alembic_config

# schema label -> (alembic scripts, PostgreSQL schema holding its version table)
SCHEMAS = {"write": (WRITE_SCRIPTS, "tickets"), "read": (READ_SCRIPTS, "read")}


class UnknownRevision(ValueError):
    """Not a revision of either schema; ``known`` lists those that are."""

    def __init__(self, revision: str, known: list[str]) -> None:
        super().__init__(f"unknown revision {revision!r}; known: {', '.join(known)}")
        self.known = known


@dataclass(frozen=True)
class Step:
    revision: str
    summary: str  # the first line of the migration's docstring


@dataclass(frozen=True)
class MigrationPlan:
    schema: str  # "write" or "read"
    current: str | None  # None: the schema was never migrated
    target: str
    down: bool
    steps: tuple[Step, ...]  # in the order they run: undone (down) or applied (up)


def _script(schema: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("", SCHEMAS[schema][0]))


def known_revisions() -> dict[str, str]:
    """Every revision, oldest first per schema, with the schema it belongs to."""
    known: dict[str, str] = {}
    for schema in SCHEMAS:
        for revision in reversed(list(_script(schema).walk_revisions())):
            known[revision.revision] = schema
    return known


def schema_of(revision: str) -> str:
    known = known_revisions()
    if revision not in known:
        raise UnknownRevision(revision, list(known))
    return known[revision]


async def current_revision(url: str, schema: str) -> str | None:
    connection = await asyncpg.connect(url)
    try:
        table = f"{SCHEMAS[schema][1]}.alembic_version"
        exists = await connection.fetchval("SELECT to_regclass($1) IS NOT NULL", table)
        if not exists:
            return None
        current: str | None = await connection.fetchval(f"SELECT version_num FROM {table}")
        return current
    finally:
        await connection.close()


async def plan(url: str, read_url: str, target: str) -> MigrationPlan:
    """What moving ``target``'s schema (at ``url`` or ``read_url``) to it would run."""
    schema = schema_of(target)
    current = await current_revision(read_url if schema == "read" else url, schema)
    script = _script(schema)
    below_current = (
        [r.revision for r in script.iterate_revisions(current, "base")] if current else []
    )
    down = current != target and target in below_current
    if current == target:
        revisions = []
    elif down:  # undone newest first: current, …, the one just above target
        revisions = list(script.iterate_revisions(current, target))
    else:  # applied oldest first: the one just above current, …, target
        revisions = list(reversed(list(script.iterate_revisions(target, current or "base"))))
    steps = tuple(Step(r.revision, (r.doc or "").strip().splitlines()[0]) for r in revisions)
    return MigrationPlan(schema, current, target, down, steps)


async def carry_out(url: str, read_url: str, chosen: MigrationPlan) -> None:
    """Run ``chosen``: one transaction under the schema's lock (see run_migrations)."""
    scripts = SCHEMAS[chosen.schema][0]
    config = alembic_config(read_url if chosen.schema == "read" else url, scripts)
    move = command.downgrade if chosen.down else command.upgrade
    await asyncio.to_thread(move, config, chosen.target)  # alembic blocks: off the loop
