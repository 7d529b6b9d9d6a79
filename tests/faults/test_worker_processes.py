"""Guarantees 2, 4 and 6 with real worker processes: many at once, killed at any
instant, or stopped with SIGTERM mid-batch."""

import asyncio
import random
import signal
import subprocess
import uuid
from collections import Counter, defaultdict

import asyncpg

from tests.faults.conftest import dispatcher_for, effects
from tests.faults.processes import start_worker
from tests.faults.recording_handlers import Recorder
from tests.faults.waiting import eventually
from tests.integration.conftest import context, register
from tickets.application.commands import AddComment, CreateTicket
from tickets.bench.databases import NOTHING_PENDING
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.drain import drain
from tickets.testing.synthetic_events import insert_events, ticket_events


async def assert_exactly_once_in_order(pool: asyncpg.Pool) -> int:
    applied = await effects(pool, "recorder")
    outbox = await pool.fetch("SELECT aggregate_id, aggregate_version FROM tickets.outbox_messages")
    duplicates = [key for key, n in Counter(applied).items() if n > 1]
    assert duplicates == []
    assert set(applied) == {(r["aggregate_id"], r["aggregate_version"]) for r in outbox}
    versions: dict[uuid.UUID, list[int]] = defaultdict(list)
    for ticket, version in applied:
        versions[ticket].append(version)
    disordered = [t for t, vs in versions.items() if vs != sorted(vs)]
    assert disordered == []
    return len(applied)


async def all_processed(pool: asyncpg.Pool) -> bool:
    return bool(await pool.fetchval(NOTHING_PENDING))


def stop(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        assert process.wait(timeout=60) == 0, process.stdout.read() if process.stdout else ""


async def test_four_processes_deliver_20000_events_exactly_once_in_order(
    runtime: Runtime, fault_db: str
) -> None:
    tickets = [uuid.uuid4() for _ in range(500)]
    events = {t: ticket_events(t, 40) for t in tickets}
    await insert_events(runtime.pools.write, [e for t in tickets for e in events[t][:20]])
    workers = [start_worker(fault_db) for _ in range(4)]
    try:
        # the second half arrives while the workers are busy with the first
        for chunk in range(0, 500, 100):
            batch = [e for t in tickets[chunk : chunk + 100] for e in events[t][20:]]
            await insert_events(runtime.pools.write, batch)
        await eventually(lambda: all_processed(runtime.pools.write), within=240, every=0.2)
    finally:
        stop(workers)

    assert await assert_exactly_once_in_order(runtime.pools.write) == 20_000


async def keep_commanding(runtime: Runtime, done: asyncio.Event) -> int:
    """Create tickets and comment on them until ``done``; returns commands committed."""
    author = await register(runtime)
    ids: list[uuid.UUID] = []
    count = 0
    while not done.is_set():
        if not ids or random.random() < 0.3:
            outcome = await runtime.bus.handle(CreateTicket(actor=author, title="t"), context())
            ids.append(outcome.result.id)
        else:
            comment = AddComment(actor=author, ticket_id=random.choice(ids), body="c")
            await runtime.bus.handle(comment, context())
        count += 1
        await asyncio.sleep(0.002)
    return count


async def test_sigkilled_workers_lose_nothing_and_apply_nothing_twice(
    runtime: Runtime, fault_db: str
) -> None:
    done = asyncio.Event()
    commands = asyncio.create_task(keep_commanding(runtime, done))
    try:
        for _ in range(6):
            worker = start_worker(fault_db, "--delay", "0.002", "--lease", "1", "--batch", "50")
            await asyncio.sleep(random.uniform(0.3, 0.8))
            worker.kill()  # SIGKILL: no cleanup, claims stay until their lease expires
            worker.wait(timeout=10)
    finally:
        done.set()
        assert await commands > 0

    await drain(dispatcher_for(runtime, Recorder()), timeout=60)

    delivered = await assert_exactly_once_in_order(runtime.pools.write)
    assert delivered == await runtime.pools.write.fetchval(
        "SELECT count(*) FROM tickets.outbox_messages"
    )


async def test_sigterm_mid_batch_leaves_no_lane_leased(runtime: Runtime, fault_db: str) -> None:
    await insert_events(
        runtime.pools.write, [e for _ in range(20) for e in ticket_events(uuid.uuid4(), 20)]
    )
    worker = start_worker(fault_db, "--delay", "0.01", "--batch", "100")
    leased = "SELECT count(*) FROM tickets.subscription_lanes WHERE leased_by IS NOT NULL"
    await eventually(lambda: runtime.pools.write.fetchval(leased), within=30)
    await eventually(lambda: effects(runtime.pools.write, "recorder"), within=30)

    stop([worker])

    assert await runtime.pools.write.fetchval(leased) == 0, "its lanes were given up at once"
    applied = len(await effects(runtime.pools.write, "recorder"))
    passed = await runtime.pools.write.fetchval(
        "SELECT count(*) FROM tickets.outbox_messages m JOIN tickets.subscription_lanes l"
        " ON l.subscription = 'recorder' AND l.lane = m.lane AND m.position <= l.position"
    )
    assert applied == passed > 0, "the round in flight was finished and its lanes advanced"
