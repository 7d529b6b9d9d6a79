"""Guarantee 1: a rolled-back command leaves no outbox row; a committed one has them all."""

import asyncio
import uuid

import asyncpg
import pytest

from tests.integration.conftest import context, register
from tickets.application.commands import CreateTicket, EditTicket, SubmitTicket
from tickets.application.errors import ConcurrencyConflict, IdempotencyRace
from tickets.application.ports import IdempotencyRequest
from tickets.application.results import TicketResult
from tickets.bootstrap import Runtime
from tickets.domain.ticket import Ticket
from tickets.infrastructure.clock_and_ids import SystemClock
from tickets.infrastructure.outbox_rows import NOTIFY_CHANNEL

OUTBOX_COUNT = "SELECT count(*) FROM tickets.outbox_messages WHERE aggregate_id = ANY($1)"
TICKET_COUNT = "SELECT count(*) FROM tickets.tickets WHERE id = ANY($1)"
ROWS = """SELECT aggregate_version, event_type, payload, metadata, position
          FROM tickets.outbox_messages WHERE aggregate_id = $1 ORDER BY seq"""


async def test_commit_writes_one_row_per_event_with_versions(
    runtime: Runtime, db: asyncpg.Connection
) -> None:
    author = await register(runtime)
    ctx = context()
    created = (await runtime.bus.handle(CreateTicket(actor=author, title="T"), ctx)).result
    edit = EditTicket(actor=author, ticket_id=created.id, description="more")
    await runtime.bus.handle(edit, ctx)
    await runtime.bus.handle(SubmitTicket(actor=author, ticket_id=created.id), ctx)

    rows = await db.fetch(ROWS, created.id)

    assert [(r["aggregate_version"], r["event_type"]) for r in rows] == [
        (1, "ticket.created.v1"),
        (2, "ticket.edited.v1"),
        (3, "ticket.submitted.v1"),
    ]
    assert all(r["position"] is None for r in rows), "positioned after commit, by the sequencer"
    first_payload = rows[0]["payload"]
    assert '"title": "T"' in first_payload
    assert str(author.id) in first_payload
    assert ctx.correlation_id in rows[1]["metadata"]
    version = await db.fetchval("SELECT version FROM tickets.tickets WHERE id = $1", created.id)
    assert version == 3


async def test_batch_with_a_lost_version_guard_leaves_no_row(
    runtime: Runtime, db: asyncpg.Connection
) -> None:
    """A new ticket and a stale one in one unit of work: the statement inserts the new
    ticket, then finds the stale one's guard lost; the transaction takes the insert back."""
    author = await register(runtime)
    created = await runtime.bus.handle(CreateTicket(actor=author, title="T"), context())
    stale_id = created.result.id
    new = Ticket.create(uuid.uuid4(), author, "doomed", "", SystemClock().now())

    with pytest.raises(ConcurrencyConflict):  # noqa: PT012 - the failure happens inside the UoW
        async with runtime.uow_factory(context()) as uow:
            stale = await uow.tickets.get(stale_id)
            assert stale is not None
            edit = EditTicket(actor=author, ticket_id=stale_id, title="meanwhile")
            await runtime.bus.handle(edit, context())
            stale.edit(author, "too late", None, SystemClock().now())
            uow.tickets.add(new)
            await uow.commit()

    ids = [new.id, stale_id]
    assert await db.fetchval(TICKET_COUNT, [new.id]) == 0
    assert await db.fetchval(OUTBOX_COUNT, ids) == 2, "the create and the edit meanwhile"
    title = await db.fetchval("SELECT title FROM tickets.tickets WHERE id = $1", stale_id)
    assert title == "meanwhile"


async def test_failed_write_leaves_no_row(runtime: Runtime, db: asyncpg.Connection) -> None:
    """The idempotency record violates a key, after the ticket and outbox rows were
    inserted by the same statement: the whole statement is undone."""
    author = await register(runtime)
    ticket = Ticket.create(uuid.uuid4(), author, "doomed", "", SystemClock().now())
    await db.execute(
        "INSERT INTO tickets.idempotency_keys (scope, key, fingerprint, response) "
        "VALUES ('scope', 'taken', 'other', '{}')"
    )
    uow = runtime.uow_factory(context())

    with pytest.raises(IdempotencyRace):  # noqa: PT012 - the failure happens inside the UoW
        async with uow:
            uow.tickets.add(ticket)
            request = IdempotencyRequest("taken", "mine")
            uow.idempotency.remember("scope", request, TicketResult.of(ticket))
            await uow.commit()

    assert await db.fetchval(OUTBOX_COUNT, [ticket.id]) == 0
    assert await db.fetchval(TICKET_COUNT, [ticket.id]) == 0


async def test_notify_is_sent_on_commit_only(runtime: Runtime, database_url: str) -> None:
    """A refused write that had inserted its outbox row wakes nobody; a commit does."""
    listener = await asyncpg.connect(database_url)
    received: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(NOTIFY_CHANNEL, lambda *args: received.put_nowait(args[2]))
    try:
        author = await register(runtime)
        key = f"taken-{uuid.uuid4()}"
        await listener.execute(
            "INSERT INTO tickets.idempotency_keys (scope, key, fingerprint, response) "
            "VALUES ('scope', $1, 'other', '{}')",
            key,
        )
        refused = Ticket.create(uuid.uuid4(), author, "refused", "", SystemClock().now())
        with pytest.raises(IdempotencyRace):  # noqa: PT012 - the failure happens inside the UoW
            async with runtime.uow_factory(context()) as uow:
                uow.tickets.add(refused)
                request = IdempotencyRequest(key, "mine")
                uow.idempotency.remember("scope", request, TicketResult.of(refused))
                await uow.commit()
        await runtime.bus.handle(CreateTicket(actor=author, title="wake up"), context())
        await asyncio.wait_for(received.get(), timeout=5)
        # Notifications arrive in commit order, each before the reply to a query that
        # started after it: had the refused write notified, one would still be queued.
        await listener.fetchval("SELECT 1")
        assert received.empty(), "one commit, one notification"
    finally:
        await listener.close()
