"""Soak: lifecycles at a steady rate with the worker and the retention task running,
windows of seconds. Every bookkeeping table levels off at what its window predicts
(rate x window) while the event log keeps every event.

Whether pruning slows commands is measured by `tickets bench` (storage scenario), not
here: a latency comparison is not robust on a shared CI machine."""

import asyncio
import time
from dataclasses import dataclass, field

from tests.conftest import settings_for
from tickets.application.notification_queries import MarkAllNotificationsRead
from tickets.application.notifications import NotificationInbox
from tickets.bench.lifecycles import COMMANDS_PER_LIFECYCLE, people, steady
from tickets.bootstrap import open_runtime, running_worker
from tickets.infrastructure.notification_store import SqlNotificationStore
from tickets.infrastructure.pools import Connections

KEY_TTL = 4.0
READ_WINDOW = 2.0
INTERVAL = 0.5
RATE = 8.0  # lifecycles per second
SECONDS = 30.0
MARK_EVERY = 1.0  # the author reads their notifications this often

COUNTS = """
SELECT (SELECT count(*) FROM tickets.idempotency_keys) AS keys,
       (SELECT count(*) FROM tickets.notifications) AS notifications,
       (SELECT count(*) FROM tickets.outbox_messages) AS events
"""


@dataclass
class Samples:
    at: list[float] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)
    notifications: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)

    def after(self, start: float, series: list[int]) -> list[int]:
        return [v for t, v in zip(self.at, series, strict=True) if t >= start]


async def test_bookkeeping_levels_off_while_the_log_grows(fault_db: str) -> None:
    settings = settings_for(
        fault_db,
        idempotency_key_ttl_seconds=KEY_TTL,
        read_notification_retention_seconds=READ_WINDOW,
        unread_notification_retention_seconds=60,
        retention_interval_seconds=INTERVAL,
        outbox_poll_seconds=0.5,
    )
    async with open_runtime(settings) as runtime, running_worker(runtime):
        users = await people(runtime.bus)
        inbox = NotificationInbox(SqlNotificationStore(Connections(runtime.pool)))
        samples = Samples()
        stop = asyncio.Event()
        started = time.monotonic()

        async def observe() -> None:
            while not stop.is_set():
                row = await runtime.pool.fetchrow(COUNTS)
                samples.at.append(time.monotonic() - started)
                samples.keys.append(row["keys"])
                samples.notifications.append(row["notifications"])
                samples.events.append(row["events"])
                await inbox.mark_all_read(MarkAllNotificationsRead(users[0]))
                await asyncio.sleep(MARK_EVERY)

        observer = asyncio.create_task(observe())
        load = await steady(runtime.bus, RATE, SECONDS, users)
        stop.set()
        await observer
        elapsed = time.monotonic() - started
        kept = await runtime.pool.fetchval("SELECT count(*) FROM tickets.outbox_messages")
        counted = runtime.registry.get_sample_value(
            "tickets_retention_pruned_rows_total", {"table": "idempotency_keys"}
        )

    commands = load.lifecycles * COMMANDS_PER_LIFECYCLE
    assert commands == len(load.latencies)
    rate = commands / elapsed  # as achieved on this machine
    settled = 2 * KEY_TTL + 2  # past every window and a few passes
    assert samples.at[-1] > settled + 10, "too few samples after the windows passed"

    # Idempotency keys: one per command, kept KEY_TTL, removed within a pass or two.
    keys = samples.after(settled, samples.keys)
    predicted = rate * (KEY_TTL + INTERVAL)
    assert max(keys) <= 1.5 * predicted + 20, (keys, predicted)
    assert min(keys) >= 0.3 * rate * KEY_TTL, (keys, rate)  # the load went on
    assert max(keys) < 0.5 * commands  # far below what was ever written
    assert counted is not None
    assert counted >= commands - max(keys)  # what went is on /metrics

    # Notifications: one per lifecycle, read within MARK_EVERY, kept READ_WINDOW after.
    notes = samples.after(settled, samples.notifications)
    lifecycles_per_second = rate / COMMANDS_PER_LIFECYCLE
    predicted = lifecycles_per_second * (MARK_EVERY + READ_WINDOW + INTERVAL)
    assert max(notes) <= 1.5 * predicted + 10, (notes, predicted)
    assert max(notes) < 0.5 * load.lifecycles

    # The log keeps every event: one per command, and it grew as much in the second half
    # as in the first.
    assert kept == commands
    events = samples.events
    half = len(events) // 2
    first, second = events[half] - events[0], events[-1] - events[half]
    assert second > 0.5 * first > 0, events
