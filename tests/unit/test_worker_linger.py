"""The worker's claim loop lingers after a small batch only: a full batch means a
backlog, which is claimed again at once."""

import asyncio
from typing import Any

import pytest

from tickets.infrastructure.outbox import worker as worker_module
from tickets.infrastructure.outbox.worker import OutboxWorker, WorkerConfig


class ScriptedStore:
    def __init__(self, batches: list[list[str]]) -> None:
        self.batches = batches

    async def claim(self, *_: Any) -> list[str]:
        return self.batches.pop(0) if self.batches else []


class NoDispatcher:
    async def process(self, batch: list[str], worker: str) -> None:
        pass


async def test_lingers_after_a_small_batch_only(monkeypatch: pytest.MonkeyPatch) -> None:
    config = WorkerConfig(batch_size=2, linger_seconds=0.25, poll_seconds=7.0)
    store = ScriptedStore([["a", "b"], ["c"]])  # a full batch, then a small one
    worker = OutboxWorker("unused", store, NoDispatcher(), config)  # type: ignore[arg-type]
    stop, wake, lost = asyncio.Event(), asyncio.Event(), asyncio.Event()
    waits: list[float] = []

    async def first_of(*events: asyncio.Event, timeout: float) -> None:  # noqa: ASYNC109
        waits.append(timeout)
        if timeout == config.poll_seconds:  # nothing left to claim: the test is done
            stop.set()

    monkeypatch.setattr(worker_module, "_first_of", first_of)
    await worker._loop(stop, wake, lost)
    # No wait after the full batch, the linger after the small one, then the idle wait.
    assert waits == [config.linger_seconds, config.poll_seconds]
