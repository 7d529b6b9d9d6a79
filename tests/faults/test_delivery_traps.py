"""The traps a position-based delivery must avoid (docs/design.md, "Delivery"), one
test each; the sequence-gap race (trap 1) is test_sequence_gap.py."""

import asyncio
import random
import uuid

import asyncpg

from tests.faults.conftest import dispatcher_for, effects
from tests.faults.recording_handlers import Failing, Recorder
from tickets.application.ports import MessageContext
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.drain import drain
from tickets.infrastructure.outbox.progress import LeaseLost, Progress
from tickets.infrastructure.outbox_rows import outbox_values
from tickets.testing.synthetic_events import insert_events, ticket_events

INSERT = """INSERT INTO tickets.outbox_messages (id, aggregate_id, aggregate_version,
            event_type, payload, metadata, occurred_at)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)"""


async def test_a_transaction_with_a_lower_xid_still_delivers_versions_in_order(
    runtime: Runtime, fault_db: str
) -> None:
    """Trap 2: a long transaction takes its xid first, a short one writes version 1 of a
    ticket and commits, then the long one writes version 2. Ordered by xid, version 2
    would come first; ordered by insertion after commit (seq, then position) it cannot."""
    ticket = uuid.uuid4()
    v1, v2 = outbox_values(ticket_events(ticket, 2), MessageContext(correlation_id="xid"))
    long, short = await asyncpg.connect(fault_db), await asyncpg.connect(fault_db)
    try:
        transaction = long.transaction()
        await transaction.start()
        older_xid = int(await long.fetchval("SELECT txid_current()"))
        async with short.transaction():
            newer_xid = int(await short.fetchval("SELECT txid_current()"))
            await short.execute(INSERT, *v1)
        assert older_xid < newer_xid
        await long.execute(INSERT, *v2)
        await transaction.commit()
    finally:
        await long.close()
        await short.close()

    await drain(dispatcher_for(runtime, Recorder()))

    assert await effects(runtime.pools.write, "recorder") == [(ticket, 1), (ticket, 2)]


async def test_commits_landing_during_claims_are_never_skipped_or_doubled(
    runtime: Runtime,
) -> None:
    """Trap 3: many writers commit in random order while a worker claims and delivers
    continuously; every event is delivered once, each ticket in version order."""
    tickets = [uuid.uuid4() for _ in range(40)]
    done = asyncio.Event()
    dispatcher = dispatcher_for(runtime, Recorder())

    async def writer(ticket: uuid.UUID) -> None:
        for event in ticket_events(ticket, 5):
            await asyncio.sleep(random.random() / 100)
            await insert_events(runtime.pools.write, [event])

    async def deliverer() -> None:
        while not done.is_set():
            await drain(dispatcher, worker="racing")

    racing = asyncio.create_task(deliverer())
    await asyncio.gather(*(writer(t) for t in tickets))
    done.set()
    await racing
    await drain(dispatcher)

    applied = await effects(runtime.pools.write, "recorder")
    assert len(applied) == len(set(applied)) == 40 * 5, "each event once"
    for ticket in tickets:
        assert [v for t, v in applied if t == ticket] == [1, 2, 3, 4, 5]


async def test_progress_is_one_row_per_lane_each_written_by_its_leaseholder(
    runtime: Runtime,
) -> None:
    """Trap 4: no single checkpoint row. Two workers split the lanes; each advances only
    its own lanes' rows, and neither can advance a lane the other holds."""
    progress = Progress("tickets")
    async with runtime.pools.write.acquire() as connection:
        first = await progress.lease(connection, "split", "worker-a", 30.0)
        second = await progress.lease(connection, "split", "worker-b", 30.0)
        first = await progress.lease(connection, "split", "worker-a", 30.0)  # gives half up
        second = await progress.lease(connection, "split", "worker-b", 30.0)  # takes it
        assert len(first) == len(second) == 8
        assert not set(first) & set(second)
        rows = await connection.fetchval(
            "SELECT count(*) FROM tickets.subscription_lanes WHERE subscription = 'split'"
        )
        assert rows == 16
        theirs = next(iter(second))
        try:
            async with connection.transaction():
                await progress.advance(connection, "split", "worker-a", {theirs: (0, 5)})
            raise AssertionError("advanced a lane another worker holds")
        except LeaseLost:
            pass
        mine = next(iter(first))
        async with connection.transaction():
            await progress.advance(connection, "split", "worker-a", {mine: (0, 5)})
        positions = await progress.positions(connection, "split")
    assert positions[mine] == 5
    assert positions[theirs] == 0


async def test_a_worker_whose_lease_expired_cannot_apply_its_page(runtime: Runtime) -> None:
    """Fencing: worker A leases, its lease expires, B takes the lanes and delivers. A's
    late round rolls back (LeaseLost) and applies nothing: each event once."""
    ticket = uuid.uuid4()
    await insert_events(runtime.pools.write, ticket_events(ticket, 3))
    dispatcher = dispatcher_for(runtime, Recorder())
    [subscription] = dispatcher.subscriptions
    progress = Progress("tickets")
    await dispatcher.store.sequence()
    async with runtime.pools.write.acquire() as connection:
        stale = await progress.lease(connection, "recorder", "worker-a", 0.01)
        await connection.execute(
            "UPDATE tickets.delivery_workers SET alive_until = now() - interval '1 s'"
        )
        await connection.execute(
            "UPDATE tickets.subscription_lanes SET lease_until = now() - interval '1 s'"
        )
    await drain(dispatcher, worker="worker-b")
    try:
        await dispatcher.deliver(subscription, dict(stale), "worker-a", 100)
        raise AssertionError("a stale worker advanced")
    except LeaseLost:
        pass
    assert await effects(runtime.pools.write, "recorder") == [(ticket, 1), (ticket, 2), (ticket, 3)]


async def test_a_subscription_added_later_catches_up_from_the_start(runtime: Runtime) -> None:
    """A new subscription starts at position 0 on every lane and reads the whole log;
    the existing one is not paused or replayed."""
    tickets = [uuid.uuid4() for _ in range(5)]
    for ticket in tickets:
        await insert_events(runtime.pools.write, ticket_events(ticket, 3))
    await drain(dispatcher_for(runtime, Recorder("old")))
    assert len(await effects(runtime.pools.write, "old")) == 15

    await drain(dispatcher_for(runtime, Recorder("old"), Recorder("new")))

    assert len(await effects(runtime.pools.write, "old")) == 15, "nothing replayed for the old one"
    caught_up = await effects(runtime.pools.write, "new")
    for ticket in tickets:
        assert [v for t, v in caught_up if t == ticket] == [1, 2, 3]


async def test_a_poison_event_parks_its_ticket_for_its_subscription_only(
    runtime: Runtime,
) -> None:
    """Guarantee 5 per subscription: "stuck" fails on version 2 of one ticket; it parks
    that ticket (dead after its attempts), while "healthy" delivers all of it, and both
    deliver every other ticket."""
    poisoned, other = uuid.uuid4(), uuid.uuid4()
    for ticket in (poisoned, other):
        await insert_events(runtime.pools.write, ticket_events(ticket, 3))
    stuck = Failing("stuck", poisoned=lambda e: e.ticket_id == poisoned and e.version == 2)

    await drain(dispatcher_for(runtime, Recorder("healthy"), stuck))

    healthy = await effects(runtime.pools.write, "healthy")
    assert [v for t, v in healthy if t == poisoned] == [1, 2, 3]
    assert [v for t, v in healthy if t == other] == [1, 2, 3]
    failing = await effects(runtime.pools.write, "stuck")
    assert [v for t, v in failing if t == poisoned] == [1]
    assert [v for t, v in failing if t == other] == [1, 2, 3]
    [letter] = await runtime.dead_letters.list_dead(10)
    assert (letter.subscription, letter.ticket_id, letter.version) == ("stuck", poisoned, 2)
    assert letter.held == 1
