"""Archiving old months of the event log, and rebuilding from archives plus the live log:
equal to a rebuild before archiving; refused, with nothing changed, when it would lose
something (a lagging subscription, a bad path or month, a corrupt or missing archive)."""

import asyncio
import gzip
import os
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from tests.integration.conftest import context, register
from tests.support.readmodel import rebuild_all, snapshot
from tickets.application.commands import AddComment, CreateTicket, SubmitTicket
from tickets.bootstrap import Runtime
from tickets.cli import app as cli
from tickets.domain.users import User
from tickets.infrastructure.outbox import archive as archive_module
from tickets.infrastructure.outbox.archive import archive, parse_month
from tickets.infrastructure.outbox.archive_file import ArchiveRefused, read_archive
from tickets.infrastructure.outbox.archive_log import ArchivedLog
from tickets.infrastructure.outbox.drain import drain
from tickets.infrastructure.outbox.event_log import EventLog
from tickets.infrastructure.outbox.subscriptions import Subscription
from tickets.readmodel.catalog import READ_SCHEMA, REBUILDABLE
from tickets.readmodel.rebuild import rebuild

LOG = "tickets.outbox_messages"


def month(ahead: int) -> date:
    today = datetime.now(UTC).date()
    months = today.year * 12 + today.month - 1 + ahead
    return date(months // 12, months % 12 + 1, 1)


def stores(runtime: Runtime) -> list[Subscription]:
    return runtime.dispatcher.subscriptions


async def create(runtime: Runtime, author: User, title: str) -> uuid.UUID:
    outcome = await runtime.bus.handle(CreateTicket(actor=author, title=title), context())
    return uuid.UUID(str(outcome.result.id))


async def back_date(runtime: Runtime, tickets: list[uuid.UUID], first_of: date) -> None:
    """Move the tickets' events so far into an earlier month (its partition first)."""
    end = month_after(first_of)
    await runtime.pools.write.execute(
        f"CREATE TABLE IF NOT EXISTS {LOG}_p{first_of:%Y%m} PARTITION OF {LOG}"
        f" FOR VALUES FROM ('{first_of}') TO ('{end}')"
    )
    await runtime.pools.write.execute(
        f"UPDATE {LOG} SET occurred_at = $2::date + interval '1 day' WHERE aggregate_id = ANY($1)",
        tickets,
        first_of,
    )


def month_after(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


async def two_old_months(runtime: Runtime) -> list[uuid.UUID]:
    """Tickets whose events are two and one months old, and ones of this month (one of
    them an old ticket commented on now); nothing delivered yet."""
    author = await register(runtime)
    oldest = [await create(runtime, author, f"old {i}") for i in range(3)]
    await runtime.bus.handle(SubmitTicket(actor=author, ticket_id=oldest[0]), context())
    await back_date(runtime, oldest, month(-2))
    older = [await create(runtime, author, f"older {i}") for i in range(2)]
    await back_date(runtime, older, month(-1))
    await runtime.bus.handle(AddComment(actor=author, ticket_id=oldest[1], body="now"), context())
    await create(runtime, author, "new")
    return oldest + older


async def partitions(runtime: Runtime) -> set[str]:
    rows = await runtime.pools.write.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        f" WHERE i.inhparent = '{LOG}'::regclass"
    )
    return {r[0] for r in rows}


async def rebuild_from(runtime: Runtime, paths: list[Path]) -> None:
    source = await ArchivedLog.open(EventLog(runtime.pools.write), paths)
    for target in REBUILDABLE.values():
        await rebuild(target, runtime.pools.read, source)


async def test_rebuild_from_archive_and_live_log_equals_one_before_archiving(
    runtime: Runtime, tmp_path: Path
) -> None:
    await two_old_months(runtime)
    await drain(runtime.dispatcher)
    await rebuild_all(runtime)
    before = await snapshot(runtime)
    events = await runtime.pools.write.fetchval(f"SELECT count(*) FROM {LOG}")

    done = await archive(runtime.pools.write, stores(runtime), month(0), tmp_path / "old.jsonl.gz")

    assert done.months == [
        f"outbox_messages_p{month(-2):%Y%m}",
        f"outbox_messages_p{month(-1):%Y%m}",
    ]
    assert not set(done.months) & await partitions(runtime), "the months' partitions dropped"
    live = await runtime.pools.write.fetchval(f"SELECT count(*) FROM {LOG}")
    assert done.count == 3 + 1 + 2
    assert live == events - done.count == 2
    assert len(read_archive(done.path).events) == done.count
    await rebuild_from(runtime, [done.path])
    assert await snapshot(runtime) == before
    assert len(before["ticket_list"]) == 6


async def test_archives_of_two_runs_rebuild_in_any_order(runtime: Runtime, tmp_path: Path) -> None:
    await two_old_months(runtime)
    await drain(runtime.dispatcher)
    await rebuild_all(runtime)
    before = await snapshot(runtime)
    first = await archive(runtime.pools.write, stores(runtime), month(-1), tmp_path / "a.gz")
    second = await archive(runtime.pools.write, stores(runtime), month(0), tmp_path / "b.gz")
    assert (first.count, second.count) == (4, 2)

    with pytest.raises(ArchiveRefused, match="gap in positions"):
        await rebuild_from(runtime, [second.path])
    with pytest.raises(ArchiveRefused, match="more than one archive"):
        await rebuild_from(runtime, [first.path, second.path, first.path])
    await rebuild_from(runtime, [second.path, first.path])
    assert await snapshot(runtime) == before


async def test_archiving_while_a_subscription_lags_is_refused(
    runtime: Runtime, tmp_path: Path
) -> None:
    await two_old_months(runtime)  # not delivered: every subscription is behind
    held = await partitions(runtime)
    target = tmp_path / "old.gz"
    with pytest.raises(ArchiveRefused, match="has not passed these months") as refused:
        await archive(runtime.pools.write, stores(runtime), month(0), target)
    assert "\n" not in str(refused.value)
    assert not target.exists()
    assert await partitions(runtime) == held


async def test_a_parked_ticket_with_events_in_the_months_is_refused(
    runtime: Runtime, tmp_path: Path
) -> None:
    tickets = await two_old_months(runtime)
    await drain(runtime.dispatcher)
    await runtime.pools.read.execute(
        f"INSERT INTO {READ_SCHEMA}.subscription_parked (subscription, aggregate_id,"
        " from_version, message_id, status, attempts, last_error)"
        " SELECT 'read_model', $1, 1, id, 'dead', 3, 'x' FROM tickets.outbox_messages"
        " WHERE aggregate_id = $1 AND aggregate_version = 1",
        tickets[0],
    )
    with pytest.raises(ArchiveRefused, match="is parked for read_model"):
        await archive(runtime.pools.write, stores(runtime), month(0), tmp_path / "p.gz")


async def test_bad_targets_and_months_are_refused_and_nothing_changes(
    runtime: Runtime, tmp_path: Path
) -> None:
    await two_old_months(runtime)
    await drain(runtime.dispatcher)
    held = await partitions(runtime)
    existing = tmp_path / "there.gz"
    existing.write_bytes(b"keep")
    with pytest.raises(ArchiveRefused, match="already exists"):
        await archive(runtime.pools.write, stores(runtime), month(0), existing)
    assert existing.read_bytes() == b"keep"
    with pytest.raises(ArchiveRefused, match="cannot be written"):
        await archive(runtime.pools.write, stores(runtime), month(0), tmp_path / "none" / "x.gz")
    with pytest.raises(ArchiveRefused, match="nothing to archive"):
        await archive(runtime.pools.write, stores(runtime), month(-2), tmp_path / "empty.gz")
    assert not (tmp_path / "empty.gz").exists()
    with pytest.raises(ArchiveRefused, match="in the future"):
        parse_month(f"{month(1):%Y-%m}")
    with pytest.raises(ArchiveRefused, match="not a month"):
        parse_month("2026-13")
    assert await partitions(runtime) == held


async def test_corrupt_or_truncated_archives_are_refused_before_anything_changes(
    runtime: Runtime, tmp_path: Path
) -> None:
    await two_old_months(runtime)
    await drain(runtime.dispatcher)
    await rebuild_all(runtime)
    done = await archive(runtime.pools.write, stores(runtime), month(0), tmp_path / "old.gz")
    whole = done.path.read_bytes()
    before = await snapshot(runtime)

    corrupt = tmp_path / "corrupt.gz"
    corrupt.write_bytes(whole[:20] + bytes(b ^ 0xFF for b in whole[20:40]) + whole[40:])
    cut = tmp_path / "cut.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    lines = gzip.decompress(whole).splitlines(keepends=True)
    no_end = tmp_path / "no_end.gz"
    no_end.write_bytes(gzip.compress(b"".join(lines[:-2])))
    for bad, reason in ((corrupt, "corrupt"), (cut, "corrupt or truncated"), (no_end, "no end")):
        with pytest.raises(ArchiveRefused, match=reason):
            await rebuild_from(runtime, [bad])
    assert await snapshot(runtime) == before


async def test_rows_of_the_months_in_the_default_partition_are_refused(
    runtime: Runtime, tmp_path: Path
) -> None:
    tickets = await two_old_months(runtime)
    await drain(runtime.dispatcher)
    await runtime.pools.write.execute(  # a month without a partition of its own
        f"UPDATE {LOG} SET occurred_at = $2 WHERE aggregate_id = $1",
        tickets[-1],
        datetime.combine(month(-4), datetime.min.time(), UTC),
    )
    held = await partitions(runtime)
    with pytest.raises(ArchiveRefused, match="default partition holds events before"):
        await archive(runtime.pools.write, stores(runtime), month(0), tmp_path / "d.gz")
    assert await partitions(runtime) == held

    # the runbook's fix (docs/operations.md): move them into a partition of their own
    start, end = month(-4), month(-3)
    async with runtime.pools.write.acquire() as connection, connection.transaction():
        await connection.execute(f"ALTER TABLE {LOG} DETACH PARTITION {LOG}_default")
        await connection.execute(
            f"CREATE TABLE {LOG}_p{start:%Y%m} PARTITION OF {LOG}"
            f" FOR VALUES FROM ('{start}') TO ('{end}')"
        )
        await connection.execute(
            f"""WITH moved AS (DELETE FROM {LOG}_default WHERE occurred_at >= '{start}'
                                AND occurred_at < '{end}' RETURNING *)
                INSERT INTO {LOG} (id, seq, position, aggregate_id, aggregate_version,
                                   event_type, payload, metadata, occurred_at)
                SELECT id, seq, position, aggregate_id, aggregate_version, event_type,
                       payload, metadata, occurred_at FROM moved"""
        )
        await connection.execute(f"ALTER TABLE {LOG} ATTACH PARTITION {LOG}_default DEFAULT")
    done = await archive(runtime.pools.write, stores(runtime), month(0), tmp_path / "d.gz")
    assert done.count == 6
    assert done.months[0] == f"outbox_messages_p{start:%Y%m}"


async def test_the_command_refuses_in_one_line_with_exit_code_1(
    runtime: Runtime, fault_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await two_old_months(runtime)  # not delivered
    monkeypatch.setenv("TICKETS_DATABASE_URL", fault_db)
    monkeypatch.setenv("TICKETS_JWT_SECRET", TEST_SECRET)
    monkeypatch.setenv("TICKETS_LOG_LEVEL", "WARNING")
    held = await partitions(runtime)

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["events", "archive", *args])

    target = str(tmp_path / "a.gz")
    for args, reason in (
        (["--before", f"{month(0):%Y-%m}", "--to", target], "has not passed these months"),
        (["--before", f"{month(2):%Y-%m}", "--to", target], "in the future"),
        (["--before", "May", "--to", target], "not a month"),
    ):
        result = await asyncio.to_thread(run, *args)
        assert result.exit_code == 1, result.output
        assert reason in result.output
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert not await asyncio.to_thread(os.path.exists, target)
    assert await partitions(runtime) == held

    await drain(runtime.dispatcher)
    done = await asyncio.to_thread(run, "--before", f"{month(0):%Y-%m}", "--to", target)
    assert done.exit_code == 0, done.output
    assert "archived 6 events" in done.output
    cut = tmp_path / "cut.gz"
    await asyncio.to_thread(
        cut.write_bytes, (await asyncio.to_thread(Path(target).read_bytes))[:-9]
    )
    refused = await rebuild_process("--from-archive", str(cut))
    assert refused[0] == 1
    assert "truncated" in refused[1]
    assert "Traceback" not in refused[1]
    assert len(refused[1].strip().splitlines()) == 1, refused[1]
    rebuilt = await rebuild_process("--from-archive", target)
    assert rebuilt[0] == 0, rebuilt[1]


async def rebuild_process(*args: str) -> tuple[int, str]:
    """`tickets projections rebuild …` in a process of its own (it installs signal
    handlers, which only a main thread can)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tickets",
        "projections",
        "rebuild",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, output.decode()


async def test_an_event_written_to_the_months_while_archiving_keeps_them(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await two_old_months(runtime)
    await drain(runtime.dispatcher)
    held = await partitions(runtime)
    original = archive_module._write

    async def write_then_add(*args: Any) -> Any:
        written = await original(*args)
        await runtime.pools.write.execute(
            f"INSERT INTO {LOG} (id, seq, position, aggregate_id, aggregate_version, event_type,"
            " payload, metadata, occurred_at) SELECT gen_random_uuid(), seq, position,"
            " aggregate_id, aggregate_version + 100, event_type, payload, metadata, occurred_at"
            f" FROM {LOG}_p{month(-2):%Y%m} LIMIT 1"
        )
        return written

    monkeypatch.setattr(archive_module, "_write", write_then_add)
    target = tmp_path / "late.gz"
    with pytest.raises(ArchiveRefused, match="changed while archiving"):
        await archive(runtime.pools.write, stores(runtime), month(0), target)
    assert not await asyncio.to_thread(target.exists)
    assert await partitions(runtime) == held
