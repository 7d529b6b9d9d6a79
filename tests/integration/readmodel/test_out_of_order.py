"""Guarantee 4 on the read side: a projection never applies version N+1 before N. An
early event raises OutOfOrder and changes nothing (the dispatcher itself cannot hand
one over early: a lane is read in position order); a failing projection is retried and
skips nothing."""

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.integration.readmodel.reads import counts, details_row, list_row
from tickets.bootstrap import Runtime
from tickets.domain.events import (
    DomainEvent,
    TicketCreated,
    TicketEdited,
    TicketSubmitted,
)
from tickets.infrastructure.outbox.dispatcher import Dispatcher
from tickets.infrastructure.outbox.drain import drain
from tickets.infrastructure.outbox.subscriptions import HandlerGroup
from tickets.readmodel.guard import OutOfOrder
from tickets.readmodel.ticket_details import TicketDetailsProjection
from tickets.readmodel.ticket_list import TicketListProjection
from tickets.testing.synthetic_events import insert_events, ticket_events

PROJECTIONS = (TicketListProjection(), TicketDetailsProjection())
PROJECTION_NAMES = {"ticket_list", "ticket_details"}


async def apply(pool: asyncpg.Pool, event: DomainEvent) -> None:
    for projection in PROJECTIONS:
        async with pool.acquire() as connection, connection.transaction():
            await projection.apply_batch(connection, [event])


async def state(pool: asyncpg.Pool, ticket_id: uuid.UUID, author: uuid.UUID) -> dict[str, Any]:
    return {
        "list": await list_row(pool, ticket_id),
        "details": await details_row(pool, ticket_id),
        "counts": await counts(pool, author),
    }


async def rejected_by_each_projection(pool: asyncpg.Pool, event: DomainEvent) -> None:
    for projection in PROJECTIONS:
        async with pool.acquire() as connection:
            with pytest.raises(OutOfOrder):
                async with connection.transaction():
                    await projection.apply_batch(connection, [event])


async def test_version_3_before_2_raises_and_changes_nothing(scratch: Runtime) -> None:
    pool = scratch.pools.read
    ticket = uuid.uuid4()
    v1, v2, v3 = ticket_events(ticket, 3)
    await apply(pool, v1)
    before = await state(pool, ticket, v1.actor_id)

    await rejected_by_each_projection(pool, v3)

    assert await state(pool, ticket, v1.actor_id) == before
    await apply(pool, v2)
    await apply(pool, v3)
    listed = await list_row(pool, ticket)
    details = await details_row(pool, ticket)
    assert listed is not None
    assert details is not None
    assert listed["version"] == details["version"] == 3
    assert listed["comment_count"] == 2
    assert [c["body"] for c in details["comments"]] == ["c2", "c3"]
    assert [h["version"] for h in details["history"]] == [1, 2, 3]


async def test_a_status_change_out_of_order_leaves_the_counts_alone(scratch: Runtime) -> None:
    pool = scratch.pools.read
    ticket, author = uuid.uuid4(), uuid.uuid4()
    t0 = datetime.now(UTC)
    common: dict[str, Any] = {"ticket_id": ticket, "actor_id": author, "actor_name": "a"}
    created = TicketCreated(**common, version=1, occurred_at=t0, title="t", description="")
    edited = TicketEdited(
        **common, version=2, occurred_at=t0 + timedelta(seconds=1), title="t2", description=""
    )
    submitted = TicketSubmitted(**common, version=3, occurred_at=t0 + timedelta(seconds=2))
    await apply(pool, created)
    before = await state(pool, ticket, author)
    assert before["counts"] == {"draft": 1}

    await rejected_by_each_projection(pool, submitted)

    assert await state(pool, ticket, author) == before
    await apply(pool, edited)
    await apply(pool, submitted)
    after = await state(pool, ticket, author)
    assert after["counts"] == {"submitted": 1}
    assert after["list"]["status"] == after["details"]["status"] == "submitted"
    assert after["list"]["title"] == "t2"


async def test_an_event_for_an_unknown_ticket_waits_for_its_creation(scratch: Runtime) -> None:
    pool = scratch.pools.read
    ticket = uuid.uuid4()
    v1, v2 = ticket_events(ticket, 2)

    await rejected_by_each_projection(pool, v2)

    assert await list_row(pool, ticket) is None
    assert await details_row(pool, ticket) is None
    assert await counts(pool, v1.actor_id) == {}


class FailsOnVersion3:
    """Wraps a projection; raises on version 3 the first ``times`` times it sees it."""

    def __init__(self, inner: Any, times: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.event_types = inner.event_types
        self.times = times
        self.failures: list[int] = []

    async def apply_batch(self, connection: Any, events: Sequence[DomainEvent]) -> None:
        for event in events:
            if event.version == 3 and len(self.failures) < self.times:
                self.failures.append(event.version)
                raise RuntimeError("transient failure")
        await self.inner.apply_batch(connection, events)


async def test_a_failure_in_one_projection_skips_nothing_in_the_other(
    fresh_runtime: Runtime,
) -> None:
    """The first projection fails on version 3 of a batch holding versions 1-3 (in the
    batch's transaction and again alone): versions 1 and 2 must still be applied by the
    other projection before they are marked processed, and version 3 reaches both
    projections on retry."""
    runtime = fresh_runtime
    ticket = uuid.uuid4()
    await insert_events(runtime.pools.write, ticket_events(ticket, 3))
    subscriptions = list(runtime.dispatcher.subscriptions)
    [index] = [i for i, s in enumerate(subscriptions) if s.name == "read_model"]
    group = subscriptions[index].handler
    assert isinstance(group, HandlerGroup)
    first, *others = group.handlers
    flaky = FailsOnVersion3(first, times=2)  # the page, then the ticket alone
    subscriptions[index] = replace(
        subscriptions[index], handler=HandlerGroup("read_model", [flaky, *others])
    )

    await drain(Dispatcher(runtime.store, subscriptions))

    assert flaky.failures == [3, 3]
    listed = await list_row(runtime.pools.read, ticket)
    details = await details_row(runtime.pools.read, ticket)
    assert listed is not None, "a projection never received versions 1 and 2"
    assert details is not None, "a projection never received versions 1 and 2"
    assert (listed["version"], listed["comment_count"]) == (3, 2)
    assert [h["version"] for h in details["history"]] == [1, 2, 3]
    status = await runtime.dead_letters.status()
    assert (status.pending, status.held, status.dead) == (0, 0, 0)


async def apply_batch(pool: asyncpg.Pool, events: list[DomainEvent]) -> None:
    for projection in PROJECTIONS:
        async with pool.acquire() as connection, connection.transaction():
            await projection.apply_batch(connection, events)


async def test_a_run_of_comments_in_one_batch_equals_one_at_a_time(scratch: Runtime) -> None:
    """Consecutive comments of a ticket are folded into one row update per projection
    (batching.runs); the rows end exactly as when each comment is applied alone."""
    pool = scratch.pools.read
    folded, single = uuid.uuid4(), uuid.uuid4()
    events = ticket_events(folded, 6)
    await apply_batch(pool, events)
    for event in ticket_events(single, 6):
        await apply(pool, event)

    rows = [(await list_row(pool, t), await details_row(pool, t)) for t in (folded, single)]
    for listed, details in rows:
        assert listed is not None
        assert details is not None
        assert listed["version"] == details["version"] == 6
        assert listed["comment_count"] == 5
        assert [c["body"] for c in details["comments"]] == ["c2", "c3", "c4", "c5", "c6"]
        assert [h["version"] for h in details["history"]] == [1, 2, 3, 4, 5, 6]


async def test_a_run_redelivered_or_partly_applied_is_never_applied_twice(
    scratch: Runtime,
) -> None:
    pool = scratch.pools.read
    ticket = uuid.uuid4()
    v1, v2, v3, v4, v5 = ticket_events(ticket, 5)
    await apply_batch(pool, [v1, v2, v3])
    await apply_batch(pool, [v2, v3])  # the same run again: already applied, skipped
    before = await state(pool, ticket, v1.actor_id)
    assert before["list"]["comment_count"] == 2

    await rejected_by_each_projection(pool, v5)  # a run starting after a gap
    for projection in PROJECTIONS:  # a run overlapping what is applied: refused whole
        async with pool.acquire() as connection:
            with pytest.raises(OutOfOrder):
                async with connection.transaction():
                    await projection.apply_batch(connection, [v3, v4])

    assert await state(pool, ticket, v1.actor_id) == before
    await apply_batch(pool, [v4, v5])
    details = await details_row(pool, ticket)
    assert details is not None
    assert [c["body"] for c in details["comments"]] == ["c2", "c3", "c4", "c5"]
