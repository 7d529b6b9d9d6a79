"""Guarantee 1: a rolled-back command leaves no outbox row; a committed one has them all."""

import asyncio
import uuid

import asyncpg
import pytest

from tests.integration.conftest import context, register
from tickets.application.commands import CreateTicket, EditTicket, SubmitTicket
from tickets.application.errors import IdempotencyRace
from tickets.application.ports import IdempotencyRequest
from tickets.application.results import TicketResult
from tickets.bootstrap import Runtime
from tickets.domain.ticket import Ticket
from tickets.infrastructure.outbox_writer import NOTIFY_CHANNEL
from tickets.infrastructure.system import SystemClock
from tickets.infrastructure.unit_of_work import SqlUnitOfWork

OUTBOX_COUNT = "SELECT count(*) FROM tickets.outbox_messages WHERE aggregate_id = ANY($1)"
TICKET_COUNT = "SELECT count(*) FROM tickets.tickets WHERE id = ANY($1)"
ROWS = """SELECT aggregate_version, event_type, payload, metadata, status
          FROM tickets.outbox_messages WHERE aggregate_id = $1 ORDER BY position"""


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
    assert all(r["status"] == "pending" for r in rows)
    first_payload = rows[0]["payload"]
    assert '"title": "T"' in first_payload
    assert str(author.id) in first_payload
    assert ctx.correlation_id in rows[1]["metadata"]
    version = await db.fetchval("SELECT version FROM tickets.tickets WHERE id = $1", created.id)
    assert version == 3


async def test_rolled_back_batch_leaves_no_outbox_row(
    runtime: Runtime, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tickets take the BEGIN … COMMIT path; a step after the outbox INSERT fails."""
    author = await register(runtime)
    now = SystemClock().now()
    tickets = [Ticket.create(uuid.uuid4(), author, "doomed", "", now) for _ in range(2)]
    uow = runtime.uow_factory(context())  # the factory the bus uses
    assert isinstance(uow, SqlUnitOfWork)

    async def fail_after_outbox_insert() -> None:
        raise RuntimeError("crash between the outbox insert and COMMIT")

    with pytest.raises(RuntimeError):  # noqa: PT012 - the failure happens inside the UoW
        async with uow:
            for ticket in tickets:
                uow.tickets.add(ticket)
            monkeypatch.setattr(uow.idempotency, "flush", fail_after_outbox_insert)
            await uow.commit()

    ids = [t.id for t in tickets]
    assert await db.fetchval(OUTBOX_COUNT, ids) == 0
    assert await db.fetchval(TICKET_COUNT, ids) == 0


async def test_failed_one_statement_write_leaves_no_row(
    runtime: Runtime, db: asyncpg.Connection
) -> None:
    """One ticket takes the one-statement path; its last part (the idempotency record)
    violates a key, after the ticket and outbox rows were inserted by the same statement."""
    author = await register(runtime)
    ticket = Ticket.create(uuid.uuid4(), author, "doomed", "", SystemClock().now())
    await db.execute(
        "INSERT INTO tickets.idempotency_keys (scope, key, fingerprint, response) "
        "VALUES ('scope', 'taken', 'other', '{}')"
    )
    uow = runtime.uow_factory(context())
    assert isinstance(uow, SqlUnitOfWork)

    with pytest.raises(IdempotencyRace):  # noqa: PT012 - the failure happens inside the UoW
        async with uow:
            uow.tickets.add(ticket)
            request = IdempotencyRequest("taken", "mine")
            uow.idempotency.remember("scope", request, TicketResult.of(ticket))
            await uow.commit()

    assert await db.fetchval(OUTBOX_COUNT, [ticket.id]) == 0
    assert await db.fetchval(TICKET_COUNT, [ticket.id]) == 0


async def test_notify_is_sent_on_commit_only(runtime: Runtime, database_url: str) -> None:
    listener = await asyncpg.connect(database_url)
    received: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(NOTIFY_CHANNEL, lambda *args: received.put_nowait(args[2]))
    try:
        author = await register(runtime)
        refused = SubmitTicket(actor=author, ticket_id=uuid.uuid4())
        with pytest.raises(Exception, match="not found"):
            await runtime.bus.handle(refused, context())
        await runtime.bus.handle(CreateTicket(actor=author, title="wake up"), context())
        await asyncio.wait_for(received.get(), timeout=5)
        assert received.empty(), "one commit, one notification"
    finally:
        await listener.close()
