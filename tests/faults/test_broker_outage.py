"""The broker goes away (a TCP proxy the test controls cuts it): only the broker's
subscription waits, uncharged, the projections keep flowing, readiness and metrics say
so, and once it is back everything is published, nothing lost, each ticket's events in
version order."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest_asyncio
from prometheus_client import generate_latest

from tests.conftest import settings_for
from tests.faults.waiting import eventually
from tests.support.broker import Consumer, consuming, delete_exchange, unique_exchange
from tests.support.cutting_proxy import TcpProxy
from tickets.bench.databases import NOTHING_PENDING
from tickets.bootstrap import Runtime, open_runtime, running_worker
from tickets.infrastructure.broker.link import LinkState
from tickets.testing.synthetic_events import insert_events, ticket_events

TICKETS, VERSIONS = 12, 8


@pytest_asyncio.fixture
async def proxy(broker_url: str) -> AsyncIterator[TcpProxy]:
    target = urlsplit(broker_url)
    running = await TcpProxy(target.hostname or "127.0.0.1", target.port or 5672).start()
    yield running
    await running.stop()


@pytest_asyncio.fixture
async def exchange(broker_url: str) -> AsyncIterator[str]:
    name = unique_exchange()
    yield name
    await delete_exchange(broker_url, name)


@pytest_asyncio.fixture
async def consumer(broker_url: str, exchange: str) -> AsyncIterator[Consumer]:
    async with consuming(broker_url, exchange) as bound:  # straight to the broker
        yield bound


@pytest_asyncio.fixture
async def runtime(
    fault_db: str, broker_url: str, proxy: TcpProxy, exchange: str
) -> AsyncIterator[Runtime]:
    via_proxy = urlsplit(broker_url)._replace(netloc=f"guest:guest@127.0.0.1:{proxy.port}")
    settings = settings_for(
        fault_db,
        broker_url=via_proxy.geturl(),
        broker_exchange=exchange,
        broker_retry_base_seconds=0.01,
        broker_retry_cap_seconds=0.05,
        broker_confirm_timeout_seconds=3,
        outbox_max_attempts=3,
        outbox_poll_seconds=0.1,
    )
    async with open_runtime(settings) as running:
        yield running


def metric(runtime: Runtime, name: str) -> float:
    for line in generate_latest(runtime.registry).decode().splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


async def test_an_outage_postpones_publishing_only_while_projections_keep_flowing(
    runtime: Runtime, proxy: TcpProxy, consumer: Consumer
) -> None:
    """Each subscription has its own position: with the broker cut, the read model and
    the notifications catch up as usual while only the broker's lag grows, uncharged
    (nothing parked), and readiness names it; once back, it publishes in order."""
    proxy.cut()
    tickets = [uuid.uuid4() for _ in range(3)]
    async with running_worker(runtime):
        for ticket in tickets:
            await insert_events(runtime.pools.write, ticket_events(ticket, 3))

        async def projected() -> bool:
            count = await runtime.pools.read.fetchval(
                "SELECT count(*) FROM read.ticket_list WHERE ticket_id = ANY($1::uuid[])"
                " AND version = 3",
                tickets,
            )
            return bool(count == 3)

        async def others_caught_up() -> bool:
            status = await runtime.dead_letters.status()
            lags = {s.subscription: s.lag_events for s in status.subscriptions}
            return lags.get("read_model") == lags.get("notifications") == 0

        await eventually(projected, within=20)
        await eventually(others_caught_up, within=20)  # the projections kept flowing
        lags = {s.subscription: s for s in (await runtime.dead_letters.status()).subscriptions}
        assert lags["broker"].lag_events == 9, "only the broker is behind"
        assert (lags["broker"].retrying, lags["broker"].dead) == (0, 0), "never charged"

        async def not_ready() -> bool:
            reasons = await runtime.readiness(None)
            return any("message broker unreachable" in r for r in reasons)

        await eventually(not_ready, within=10)
        assert metric(runtime, "tickets_broker_connected") == 0
        assert consumer.messages == []

        proxy.restore()
        await eventually(lambda: _count_at_least(consumer, 9), within=20)
    by_ticket = {
        t: [
            m.body["ticket_version"] for m in consumer.first_seen() if m.body["ticket_id"] == str(t)
        ]
        for t in tickets
    }
    assert by_ticket == {t: [1, 2, 3] for t in tickets}
    assert await runtime.readiness(None) == []
    assert metric(runtime, "tickets_broker_connected") == 1


async def test_a_connection_cut_mid_stream_loses_nothing_and_keeps_ticket_order(
    runtime: Runtime, proxy: TcpProxy, consumer: Consumer
) -> None:
    assert runtime.broker is not None
    tickets = [uuid.uuid4() for _ in range(TICKETS)]
    total = TICKETS * VERSIONS
    inserted = 0

    async def produce() -> None:
        nonlocal inserted
        for version in range(1, VERSIONS + 1):  # one transaction per event, interleaved
            for ticket in tickets:
                await insert_events(
                    runtime.pools.write, ticket_events(ticket, version, first=version)
                )
                inserted += 1
                await asyncio.sleep(0)

    async with running_worker(runtime):
        producer = asyncio.create_task(produce())
        await eventually(lambda: _count_at_least(consumer, total // 4), within=30)
        proxy.cut()  # mid-stream: in-flight publishes and confirms are lost with it
        broker = runtime.broker
        # The link notices the cut when a publish or its connection fails; on a loaded
        # 2-core machine that once took longer than 10 s, so the bound is generous.
        await eventually(lambda: asyncio.sleep(0, broker.state is LinkState.UNREACHABLE), within=30)
        await eventually(lambda: asyncio.sleep(0, inserted >= total // 2), within=30)
        proxy.restore()
        await producer
        await eventually(lambda: _all_processed(runtime), within=60)

    assert metric(runtime, "tickets_broker_publish_failures_total") >= 1
    ids = {
        str(r["id"])
        for r in await runtime.pools.write.fetch("SELECT id FROM tickets.outbox_messages")
    }
    await eventually(lambda: _unique_at_least(consumer, total), within=10)
    unique = consumer.first_seen()
    assert {m.message_id for m in unique} == ids, "nothing lost, nothing foreign"
    for ticket in tickets:
        versions = [m.body["ticket_version"] for m in unique if m.body["ticket_id"] == str(ticket)]
        assert versions == list(range(1, VERSIONS + 1)), "per-ticket order kept"


async def _count_at_least(consumer: Consumer, n: int) -> bool:
    return len(consumer.messages) >= n


async def _unique_at_least(consumer: Consumer, n: int) -> bool:
    return len(consumer.first_seen()) >= n


async def _all_processed(runtime: Runtime) -> bool:
    return bool(await runtime.pools.write.fetchval(NOTHING_PENDING))
