"""Archive old months of the event log to a file, then drop their partitions.

The log is partitioned by month of ``occurred_at`` (``outbox_messages_pYYYYMM``). An
archive is a gzip-compressed JSON-lines file: one event per line in position order,
then one last line ``{"archive_end": {"count": N, "positions_sha256": H}}`` so that a
reader can tell a whole file from a truncated one. Months are dropped only after the
file was re-read and matched what was read from the database, and only when every
subscription has passed them and no ticket with events there is parked.
"""

import gzip
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg

from tickets.infrastructure.broker.integration import SCHEMA_SOURCE
from tickets.infrastructure.outbox.archive_file import ArchiveRefused, read_archive
from tickets.infrastructure.outbox.messages import TABLE
from tickets.infrastructure.outbox.sequencer import assign_positions
from tickets.infrastructure.outbox.subscriptions import Subscription
from tickets.infrastructure.serialization import event_from_payload

SCHEMA, NAME = TABLE.split(".")
PARTITIONS = """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = $1::regclass AND c.relname ~ '_p[0-9]{6}$'"""
EVENTS = """SELECT id, position, lane, aggregate_id, aggregate_version, event_type, payload,
                   metadata, occurred_at FROM {schema}.{partition} ORDER BY position"""
LANE_HIGHS = "SELECT lane, max(position) AS high FROM {schema}.{partition} GROUP BY lane"
UNPOSITIONED = "SELECT count(*) FROM {schema}.{partition} WHERE position IS NULL"
LANES = "SELECT subscription, lane, position FROM {schema}.subscription_lanes"
PARKED = """SELECT p.subscription, p.aggregate_id FROM {schema}.subscription_parked p
             WHERE p.aggregate_id = ANY($1::uuid[])"""
TICKETS = "SELECT DISTINCT aggregate_id FROM {schema}.{partition}"
IN_DEFAULT = f"SELECT count(*) FROM {SCHEMA}.{NAME}_default WHERE occurred_at < $1"


@dataclass(frozen=True)
class Archived:
    months: list[str]
    count: int
    path: Path


def parse_month(text: str, today: date | None = None) -> date:
    """The first day of ``YYYY-MM``; refused if malformed or later than this month."""
    try:
        month = datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ArchiveRefused(f"--before {text!r} is not a month like 2026-01") from None
    now = today or datetime.now(UTC).date()
    if month > now.replace(day=1):
        raise ArchiveRefused(f"--before {text} is in the future: at most this month")
    return month


def check_target(path: Path) -> None:
    if path.exists():
        raise ArchiveRefused(f"{path} already exists: choose a new file")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ArchiveRefused(f"{path} cannot be written: {parent} is not a writable directory")


async def archive(
    log: asyncpg.Pool, subscriptions: Sequence[Subscription], before: date, path: Path
) -> Archived:
    """Archive the months before ``before`` to ``path``, then drop them. ``subscriptions``
    are every subscription of the log; progress rows of any other found are checked too."""
    check_target(path)
    while await assign_positions(log) > 0:
        pass
    months = await _months(log, before)
    if await log.fetchval(IN_DEFAULT, datetime(before.year, before.month, 1, tzinfo=UTC)):
        raise ArchiveRefused(
            f"the default partition holds events before {before:%Y-%m}: move them into"
            " monthly partitions first (docs/operations.md, archive runbook)"
        )
    for partition in months:
        if await log.fetchval(UNPOSITIONED.format(schema=SCHEMA, partition=partition)):
            raise ArchiveRefused(f"{partition} has events not yet positioned: try again")
    await _check_subscriptions(log, subscriptions, months)
    lines, count, digest = await _write(log, months, path)
    _verify(path, count, digest)
    try:
        await _drop(log, months, lines)
    except ArchiveRefused:
        _remove(path)  # the months stay: so does nothing of this run
        raise
    return Archived(months, count, path)


async def _months(log: asyncpg.Pool, before: date) -> list[str]:
    bound = f"{NAME}_p{before:%Y%m}"
    names = sorted(r[0] for r in await log.fetch(PARTITIONS, TABLE) if r[0] < bound)
    counts = [await log.fetchval(f"SELECT count(*) FROM {SCHEMA}.{n}") for n in names]
    if not names or not any(counts):
        raise ArchiveRefused(f"nothing to archive before {before:%Y-%m}")
    return names


async def _check_subscriptions(
    log: asyncpg.Pool, subscriptions: Sequence[Subscription], months: list[str]
) -> None:
    highs: dict[int, int] = {}
    tickets: set[Any] = set()
    for partition in months:
        for r in await log.fetch(LANE_HIGHS.format(schema=SCHEMA, partition=partition)):
            highs[r["lane"]] = max(highs.get(r["lane"], 0), r["high"])
        rows = await log.fetch(TICKETS.format(schema=SCHEMA, partition=partition))
        tickets |= {r[0] for r in rows}
    stores: dict[tuple[int, str], tuple[asyncpg.Pool, set[str]]] = {}
    for s in subscriptions:
        stores.setdefault((id(s.pool), s.schema), (s.pool, set()))[1].add(s.name)
    for (_, schema), (pool, names) in stores.items():
        # a subscription that never ran has no rows yet: all its lanes are at 0
        positions: dict[str, dict[int, int]] = {name: {} for name in names}
        for r in await pool.fetch(LANES.format(schema=schema)):
            positions.setdefault(r["subscription"], {})[r["lane"]] = r["position"]
        for subscription, lanes in sorted(positions.items()):
            for lane, high in sorted(highs.items()):
                if lanes.get(lane, 0) < high:
                    raise ArchiveRefused(
                        f"subscription {subscription} has not passed these months"
                        f" (lane {lane} at {lanes.get(lane, 0)}, months reach {high}):"
                        " let it catch up (tickets projections status), then run again"
                    )
        parked = await pool.fetch(PARKED.format(schema=schema), list(tickets))
        if parked:
            r = parked[0]
            raise ArchiveRefused(
                f"ticket {r['aggregate_id']} is parked for {r['subscription']} and has events"
                " in these months: redeliver or resolve it first (tickets outbox)"
            )


def _line(row: asyncpg.Record) -> dict[str, Any]:
    event = event_from_payload(row["event_type"], row["payload"])
    return {
        "event_id": str(row["id"]),
        "source": SCHEMA_SOURCE,
        "ticket_id": str(row["aggregate_id"]),
        "ticket_version": row["aggregate_version"],
        "occurred_at": row["occurred_at"].isoformat(),
        "actor": {"id": str(event.actor_id), "name": event.actor_name},
        "position": row["position"],
        "lane": row["lane"],
        "aggregate_id": str(row["aggregate_id"]),
        "aggregate_version": row["aggregate_version"],
        "event_type": row["event_type"],
        "payload": row["payload"],
        "metadata": row["metadata"],
    }


async def _write(
    log: asyncpg.Pool, months: list[str], path: Path
) -> tuple[dict[str, int], int, str]:
    digest, count, lines = hashlib.sha256(), 0, {}
    try:
        with gzip.open(path, "xt", encoding="utf-8") as out:
            async with (
                log.acquire() as connection,
                connection.transaction(isolation="repeatable_read", readonly=True),
            ):
                for partition in months:
                    query = EVENTS.format(schema=SCHEMA, partition=partition)
                    lines[partition] = 0
                    async for row in connection.cursor(query, prefetch=2000):
                        out.write(json.dumps(_line(row), separators=(",", ":")) + "\n")
                        digest.update(b"%d\n" % row["position"])
                        count += 1
                        lines[partition] += 1
            end = {"count": count, "positions_sha256": digest.hexdigest()}
            out.write(json.dumps({"archive_end": end}) + "\n")
    except OSError as error:
        _remove(path)
        raise ArchiveRefused(f"{path} cannot be written: {error.strerror or error}") from None
    except BaseException:
        _remove(path)
        raise
    return lines, count, digest.hexdigest()


def _remove(path: Path) -> None:
    """A file this run created and did not finish goes: the next run may use the name."""
    path.unlink(missing_ok=True)


def _verify(path: Path, count: int, digest: str) -> None:
    try:
        read = read_archive(path)
        if (len(read.events), read.positions_sha256) != (count, digest):
            raise ArchiveRefused(f"{path} does not match the database on re-reading")
    except ArchiveRefused:
        _remove(path)
        raise


async def _drop(log: asyncpg.Pool, months: list[str], lines: dict[str, int]) -> None:
    # SHARE locks the old months against writes (none are expected) while their counts
    # are compared with the file; DETACH and DROP then hold the parent's lock only until
    # this short transaction commits.
    async with log.acquire() as connection, connection.transaction():
        for partition in months:
            await connection.execute(f"LOCK TABLE {SCHEMA}.{partition} IN SHARE MODE")
            now = await connection.fetchval(f"SELECT count(*) FROM {SCHEMA}.{partition}")
            if now != lines[partition]:
                raise ArchiveRefused(f"{partition} changed while archiving: run again")
        for partition in months:
            await connection.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {SCHEMA}.{partition}")
            await connection.execute(f"DROP TABLE {SCHEMA}.{partition}")
