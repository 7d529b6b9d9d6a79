"""The reference consumer: `events tail --from-start` shows the log, then live events,
each once, including events in both (committed before, published after it started)."""

import asyncio
from collections.abc import AsyncIterator

from tests.faults.waiting import eventually
from tests.integration.broker.test_publish import lifecycle
from tickets.bootstrap import Runtime
from tickets.infrastructure.broker.consumer import Received, history, tail
from tickets.infrastructure.outbox.drain import drain
from tickets.infrastructure.outbox.event_log import EventLog


async def test_from_start_replays_the_log_then_follows_live_each_event_once(
    broker_runtime: Runtime, broker_url: str, exchange: str
) -> None:
    published = await lifecycle(broker_runtime, "before")
    await drain(broker_runtime.dispatcher)  # on the broker before anyone listened
    committed = await lifecycle(broker_runtime, "between")  # not yet published
    shown: list[Received] = []

    async def follow(stream: AsyncIterator[Received]) -> None:
        async for received in stream:
            shown.append(received)

    stream = tail(broker_url, exchange, "#", history(EventLog(broker_runtime.pools.write)))
    task = asyncio.create_task(follow(stream))
    try:
        await eventually(lambda: asyncio.sleep(0, len(shown) >= 8), within=10)
        await drain(broker_runtime.dispatcher)  # "between" now arrives live: a repeat
        live = await lifecycle(broker_runtime, "after")
        await drain(broker_runtime.dispatcher)
        await eventually(lambda: asyncio.sleep(0, _has_ticket(shown, live, 4)), within=10)
    finally:
        task.cancel()
    ids = [r.message_id for r in shown]
    assert len(ids) == len(set(ids)) == 12
    assert [r.body["ticket_version"] for r in shown if _of(r, published)] == [1, 2, 3, 4]
    assert all(r.replayed for r in shown if _of(r, published) or _of(r, committed))
    assert not any(r.replayed for r in shown if _of(r, live))


async def test_a_live_tail_without_history_shows_only_new_events_matching_the_binding(
    broker_runtime: Runtime, broker_url: str, exchange: str
) -> None:
    await lifecycle(broker_runtime, "old")
    await drain(broker_runtime.dispatcher)
    shown: list[Received] = []

    async def follow() -> None:
        async for received in tail(broker_url, exchange, "ticket.rejected.*"):
            shown.append(received)

    task = asyncio.create_task(follow())
    try:
        # The queue is bound a moment after the task starts: retry until one arrives.
        async def rejected_seen() -> bool:
            await lifecycle(broker_runtime, "new")
            await drain(broker_runtime.dispatcher)
            return bool(shown)

        await eventually(rejected_seen, within=10, every=0.05)
    finally:
        task.cancel()
    assert {r.routing_key for r in shown} == {"ticket.rejected.v3"}
    assert all(r.body["data"] == {"reason_code": "budget"} for r in shown)


def _of(received: Received, ticket: object) -> bool:
    return received.body["ticket_id"] == str(ticket)


def _has_ticket(shown: list[Received], ticket: object, n: int) -> bool:
    return sum(_of(r, ticket) for r in shown) >= n
