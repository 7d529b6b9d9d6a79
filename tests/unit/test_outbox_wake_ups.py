"""The outbox wake-up after commit: one NOTIFY on its way at a time, one more for commits
made meanwhile, and a failed one dropped without harm."""

import asyncio
from typing import Any

from tickets.infrastructure.outbox_rows import NOTIFY_CHANNEL
from tickets.infrastructure.outbox_wake_ups import OutboxWakeUps


class GatedPool:
    """Each execute waits for the test to open the gate; failures on demand."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started = asyncio.Event()
        self.calls: list[tuple[Any, ...]] = []
        self.fail_with: Exception | None = None

    async def execute(self, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109 - asyncpg's signature
        self.calls.append(args)
        self.started.set()
        await self.gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return "SELECT 1"


async def test_commits_during_a_notify_share_one_more() -> None:
    pool = GatedPool()
    wake_ups = OutboxWakeUps(pool)  # type: ignore[arg-type]
    wake_ups.after_commit()
    await pool.started.wait()
    for _ in range(5):  # commits while the first NOTIFY is on its way
        wake_ups.after_commit()
    pool.gate.set()
    await wake_ups.aclose()
    assert wake_ups.sent == 2
    assert all(call[1] == NOTIFY_CHANNEL for call in pool.calls)


async def test_a_quiet_commit_sends_one() -> None:
    pool = GatedPool()
    pool.gate.set()
    wake_ups = OutboxWakeUps(pool)  # type: ignore[arg-type]
    wake_ups.after_commit()
    await wake_ups.aclose()
    assert wake_ups.sent == 1
    wake_ups.after_commit()  # a later commit, after that NOTIFY was done: its own
    await wake_ups.aclose()
    assert wake_ups.sent == 2


async def test_a_failed_notify_is_dropped_and_the_next_commit_sends_again() -> None:
    pool = GatedPool()
    pool.fail_with = ConnectionResetError("the database went away")
    pool.gate.set()
    wake_ups = OutboxWakeUps(pool)  # type: ignore[arg-type]
    wake_ups.after_commit()
    await wake_ups.aclose()  # no exception escapes: the workers' poll covers it
    assert wake_ups.sent == 0
    pool.fail_with = None
    wake_ups.after_commit()
    await wake_ups.aclose()
    assert wake_ups.sent == 1
