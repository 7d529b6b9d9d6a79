"""Soak: lifecycles at a steady rate with the worker and the retention task running,
windows of seconds. Every bookkeeping table levels off at what its window predicts
(rate x window) while the event log keeps every event.

Whether pruning slows commands is measured by `tickets bench` (storage scenario), not
here: a latency comparison is not robust on a shared CI machine."""

import asyncio
import time
import uuid
from collections import defaultdict

from tests.conftest import settings_for
from tickets.application.notification_queries import MarkAllNotificationsRead
from tickets.application.notifications import NotificationInbox
from tickets.bench.lifecycles import COMMANDS_PER_LIFECYCLE, people, steady
from tickets.bootstrap import open_runtime, running_worker
from tickets.infrastructure.notification_store import SqlNotificationStore
from tickets.infrastructure.pools import Connections

KEY_TTL = 4.0
READ_WINDOW = 2.0
UNREAD_WINDOW = 3.0
FAILURE_WINDOW = 3.0  # attempts and audit rows
INTERVAL = 0.5
RATE = 4.0  # lifecycles per second, for each of two authors
SECONDS = 30.0
TICK = 1.0  # sampling, the reading author's visits, the failures
FAILURES_PER_TICK = 5

COUNTS = """
SELECT (SELECT count(*) FROM tickets.idempotency_keys) AS keys,
       (SELECT count(*) FROM tickets.notifications) AS notifications,
       (SELECT count(*) FROM tickets.outbox_attempts) AS attempts,
       (SELECT count(*) FROM tickets.dead_letter_audit) AS audit,
       (SELECT count(*) FROM tickets.outbox_messages) AS events
"""
# What a failing handler and an operator retrying would write, at a steady rate.
FAILURES = """
WITH attempts AS (
    INSERT INTO tickets.outbox_attempts (message_id, attempt, handler, error)
    SELECT $1, g, 'flaky', 'ConnectionError' FROM generate_series(1, $2) g
)
INSERT INTO tickets.dead_letter_audit (message_id, action, actor_id, actor_name)
VALUES ($1, 'retry', $1, 'operator')
"""


async def test_bookkeeping_levels_off_while_the_log_grows(fault_db: str) -> None:
    settings = settings_for(
        fault_db,
        idempotency_key_ttl_seconds=KEY_TTL,
        read_notification_retention_seconds=READ_WINDOW,
        unread_notification_retention_seconds=UNREAD_WINDOW,
        attempt_retention_seconds=FAILURE_WINDOW,
        audit_retention_seconds=FAILURE_WINDOW,
        retention_interval_seconds=INTERVAL,
        outbox_poll_seconds=0.5,
    )
    async with open_runtime(settings) as runtime, running_worker(runtime):
        reader, ignorer = await people(runtime.bus), await people(runtime.bus)
        inbox = NotificationInbox(SqlNotificationStore(Connections(runtime.pools.write)))
        samples: dict[str, list[float]] = defaultdict(list)
        stop = asyncio.Event()
        started = time.monotonic()

        async def observe() -> None:
            while not stop.is_set():
                row = await runtime.pools.write.fetchrow(COUNTS)
                samples["at"].append(time.monotonic() - started)
                for name, value in row.items():
                    samples[name].append(value)
                await inbox.mark_all_read(MarkAllNotificationsRead(reader[0]))
                await runtime.pools.write.execute(FAILURES, uuid.uuid4(), FAILURES_PER_TICK)
                await asyncio.sleep(TICK)

        observer = asyncio.create_task(observe())
        loads = await asyncio.gather(
            steady(runtime.bus, RATE, SECONDS, reader),
            steady(runtime.bus, RATE, SECONDS, ignorer),
        )
        stop.set()
        await observer
        elapsed = time.monotonic() - started
        kept = await runtime.pools.write.fetchval("SELECT count(*) FROM tickets.outbox_messages")
        counted = runtime.registry.get_sample_value(
            "tickets_retention_pruned_rows_total", {"table": "idempotency_keys"}
        )

    lifecycles = sum(load.lifecycles for load in loads)
    commands = lifecycles * COMMANDS_PER_LIFECYCLE
    assert commands == sum(len(load.latencies) for load in loads)
    rate = commands / elapsed  # as achieved on this machine
    settled = 2 * KEY_TTL + 2  # past every window and a few passes
    assert samples["at"][-1] > settled + 10, "too few samples after the windows passed"

    def after_settling(name: str) -> list[float]:
        return [v for t, v in zip(samples["at"], samples[name], strict=True) if t >= settled]

    def level_within(name: str, predicted: float, total: float) -> None:
        """Held at about what the window predicts: never above it (with a margin for
        a pass's timing), never near 0 while the load goes on, far below the total."""
        values = after_settling(name)
        assert max(values) <= 1.5 * predicted + 10, (name, values, predicted)
        assert min(values) >= 0.3 * predicted, (name, values, predicted)
        assert max(values) < 0.5 * total, (name, values, total)

    # Idempotency keys: one per command, kept KEY_TTL, removed within a pass or two.
    level_within("keys", rate * (KEY_TTL + INTERVAL), commands)
    assert counted is not None
    assert counted >= commands - max(samples["keys"])  # what went is on /metrics

    # Notifications: one per lifecycle. The reader's are read within a TICK and kept
    # READ_WINDOW after; the ignorer's are never read and kept UNREAD_WINDOW.
    per_author = rate / COMMANDS_PER_LIFECYCLE / 2
    predicted = per_author * (TICK + READ_WINDOW + INTERVAL) + per_author * (
        UNREAD_WINDOW + INTERVAL
    )
    level_within("notifications", predicted, lifecycles)

    # Attempts and audit rows, written every TICK, kept FAILURE_WINDOW.
    ticks = len(samples["at"])
    window_ticks = (FAILURE_WINDOW + INTERVAL) / TICK + 1
    level_within("attempts", FAILURES_PER_TICK * window_ticks, FAILURES_PER_TICK * ticks)
    level_within("audit", window_ticks, ticks)

    # The log keeps every event: one per command, and it grew as much in the second half
    # as in the first.
    assert kept == commands
    events = samples["events"]
    half = len(events) // 2
    first, second = events[half] - events[0], events[-1] - events[half]
    assert second > 0.5 * first > 0, events
