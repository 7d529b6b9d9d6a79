"""A subscription's delivery loop lingers after a small batch only: a full batch means a
backlog, which is claimed again at once."""

import asyncio
from typing import Any

import pytest

from tickets.infrastructure.outbox import worker as worker_module
from tickets.infrastructure.outbox.pages import Round
from tickets.infrastructure.outbox.worker import OutboxWorker, WorkerConfig


class ScriptedStore:
    async def sequence(self) -> int:
        return 0


class ScriptedDispatcher:
    def __init__(self, claims: list[int]) -> None:
        self.claims = claims
        self.store = ScriptedStore()
        self.subscriptions: list[Any] = []

    def progress(self, subscription: Any) -> None:
        return None

    async def deliver(self, *_: Any) -> Round:
        return Round(claimed=self.claims.pop(0) if self.claims else 0)


async def test_lingers_after_a_small_batch_only(monkeypatch: pytest.MonkeyPatch) -> None:
    config = WorkerConfig(batch_size=2, linger_seconds=0.25, poll_seconds=7.0)
    dispatcher = ScriptedDispatcher([2, 1])  # a full batch, then a small one
    worker = OutboxWorker("unused", dispatcher.store, dispatcher, config)  # type: ignore[arg-type]
    stop, wake, lost = asyncio.Event(), asyncio.Event(), asyncio.Event()
    waits: list[float] = []

    async def first_of(*events: asyncio.Event, timeout: float) -> None:  # noqa: ASYNC109
        waits.append(timeout)
        if timeout == config.poll_seconds:  # nothing left to claim: the test is done
            stop.set()

    async def lease(*_: Any) -> dict[int, int]:
        return {0: 0}

    async def nothing_due(*_: Any) -> int:
        return 0

    monkeypatch.setattr(worker_module, "_first_of", first_of)
    monkeypatch.setattr(worker_module, "redeliver_due", nothing_due)
    monkeypatch.setattr(worker, "_lease", lease)
    await worker._deliver(object(), stop, wake, lost)  # type: ignore[arg-type]
    # No wait after the full batch, the linger after the small one, then the idle wait.
    assert waits == [config.linger_seconds, config.poll_seconds]
