"""Guarantee 2 on the read side: applying an event twice has the effect of once, both
when a projection is called twice and when the dispatcher redelivers a batch."""

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from tests.integration.conftest import context, register
from tests.integration.readmodel.reads import counts, details_row, history, lifecycle, list_row
from tests.support.progress import delivered
from tickets.application.commands import (
    AddComment,
    ApproveTicket,
    CreateTicket,
    SubmitTicket,
)
from tickets.bootstrap import Runtime
from tickets.domain.events import DomainEvent
from tickets.domain.users import Role
from tickets.infrastructure.outbox.drain import drain
from tickets.infrastructure.outbox.progress import LeaseLost, Progress
from tickets.readmodel.ticket_details import TicketDetailsProjection
from tickets.readmodel.ticket_list import TicketListProjection

PROJECTIONS = (TicketListProjection(), TicketDetailsProjection())
IDS = ("ticket_id", "author_id", "decided_by_id")


async def apply_all(pool: asyncpg.Pool, events: list[DomainEvent], times: int) -> None:
    async with pool.acquire() as connection:
        for event in events:
            for projection in PROJECTIONS:
                for _ in range(times):
                    async with connection.transaction():
                        await projection.apply_batch(connection, [event])


async def snapshot(pool: asyncpg.Pool, ticket_id: uuid.UUID, author: uuid.UUID) -> dict[str, Any]:
    """The ticket's read rows without the ids that differ between two tickets."""
    listed = await list_row(pool, ticket_id)
    details = await details_row(pool, ticket_id)
    assert listed is not None
    assert details is not None
    for row in (listed, details):
        for key in IDS:
            row.pop(key, None)
    for entry in details["history"]:
        entry["actor"].pop("id")
    for comment in details["comments"]:
        comment["author"].pop("id")
        comment.pop("id")
    return {"list": listed, "details": details, "counts": await counts(pool, author)}


async def test_each_event_applied_twice_has_the_effect_of_once(scratch: Runtime) -> None:
    once, twice = uuid.uuid4(), uuid.uuid4()
    author_once, author_twice, approver = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    start = lifecycle(once, author_once, approver)[0].occurred_at
    await apply_all(scratch.pools.read, lifecycle(once, author_once, approver, start), 1)

    await apply_all(scratch.pools.read, lifecycle(twice, author_twice, approver, start), 2)

    expected = await snapshot(scratch.pools.read, once, author_once)
    assert await snapshot(scratch.pools.read, twice, author_twice) == expected
    assert expected["counts"] == {"approved": 1}
    assert expected["list"]["comment_count"] == 2
    assert len(expected["details"]["comments"]) == 2
    assert [h["version"] for h in expected["details"]["history"]] == list(range(1, 10))


async def test_a_stale_redelivery_after_later_events_changes_nothing(scratch: Runtime) -> None:
    ticket, author = uuid.uuid4(), uuid.uuid4()
    events = lifecycle(ticket, author, uuid.uuid4())
    await apply_all(scratch.pools.read, events, 1)
    before = await snapshot(scratch.pools.read, ticket, author)

    await apply_all(scratch.pools.read, events, 1)  # the whole stream again, oldest first
    await apply_all(scratch.pools.read, events[::-1], 1)  # and newest first

    assert await snapshot(scratch.pools.read, ticket, author) == before


async def test_a_batch_processed_twice_by_the_dispatcher_applies_once(
    fresh_runtime: Runtime,
) -> None:
    runtime = fresh_runtime
    author = await register(runtime)
    approver = await register(runtime, Role.APPROVER)
    ticket = (await runtime.bus.handle(CreateTicket(actor=author, title="Chair"), context())).result
    for body in ("one", "two"):
        comment = AddComment(actor=author, ticket_id=ticket.id, body=body)
        await runtime.bus.handle(comment, context())
    await runtime.bus.handle(SubmitTicket(actor=author, ticket_id=ticket.id), context())
    await runtime.bus.handle(ApproveTicket(actor=approver, ticket_id=ticket.id), context())
    [read_model, _] = runtime.dispatcher.subscriptions
    await runtime.store.sequence()
    async with runtime.pools.read.acquire() as connection:
        lanes = await Progress("read").lease(connection, read_model.name, "w", 30.0)
    batch = await runtime.store.claim(lanes, 100)
    assert [m.aggregate_version for m in batch] == [1, 2, 3, 4, 5]

    first = dict(lanes)
    assert (await runtime.dispatcher.deliver(read_model, first, "w", 100)).delivered == 5
    # The same page again, as a worker would that did not see its commit: the fenced
    # advance finds the lane moved, and the round applies nothing.
    for _ in range(2):
        with pytest.raises(LeaseLost):
            await runtime.dispatcher.deliver(read_model, dict(lanes), "w", 100)
    again = [runtime.dispatcher.deliver(read_model, dict(lanes), "w", 100) for _ in range(3)]
    outcomes = await asyncio.gather(*again, return_exceptions=True)
    assert all(isinstance(o, LeaseLost) for o in outcomes)

    await assert_applied_once(runtime, ticket.id, author.id, [m.id for m in batch])


async def test_messages_delivered_again_after_processing_change_nothing(
    fresh_runtime: Runtime,
) -> None:
    """The read model's lanes put back before the ticket's events (say, restored from an
    older backup): the next drain delivers them all again, and the version guard makes
    the second delivery change nothing."""
    runtime = fresh_runtime
    author = await register(runtime)
    approver = await register(runtime, Role.APPROVER)
    ticket = (await runtime.bus.handle(CreateTicket(actor=author, title="Lamp"), context())).result
    for body in ("one", "two"):
        comment = AddComment(actor=author, ticket_id=ticket.id, body=body)
        await runtime.bus.handle(comment, context())
    await runtime.bus.handle(SubmitTicket(actor=author, ticket_id=ticket.id), context())
    await runtime.bus.handle(ApproveTicket(actor=approver, ticket_id=ticket.id), context())
    assert await drain(runtime.dispatcher) == 5
    reset = await runtime.pools.read.execute(
        "UPDATE read.subscription_lanes SET position = 0 WHERE subscription = 'read_model'"
    )
    assert reset == "UPDATE 16"

    assert await drain(runtime.dispatcher) == 5

    ids = await runtime.pools.write.fetch(
        "SELECT id FROM tickets.outbox_messages WHERE aggregate_id = $1", ticket.id
    )
    await assert_applied_once(runtime, ticket.id, author.id, [r["id"] for r in ids])


async def assert_applied_once(
    runtime: Runtime, ticket_id: uuid.UUID, author_id: uuid.UUID, message_ids: list[uuid.UUID]
) -> None:
    pool = runtime.pools.read
    listed = await list_row(pool, ticket_id)
    details = await details_row(pool, ticket_id)
    assert listed is not None
    assert details is not None
    assert listed["comment_count"] == 2
    assert [c["body"] for c in details["comments"]] == ["one", "two"]
    assert [h[:2] for h in history(details)] == [
        ("ticket.created.v1", 1),
        ("comment.added.v1", 2),
        ("comment.added.v1", 3),
        ("ticket.submitted.v1", 4),
        ("ticket.approved.v1", 5),
    ]
    assert listed["version"] == details["version"] == 5
    assert listed["status"] == details["status"] == "approved"
    assert await counts(pool, author_id) == {"approved": 1}
    assert await delivered(pool, "read_model", message_ids, schema="read") == len(message_ids)
