"""Admission control's budgets and middleware: a request past its class's slots and queue
is refused with 503 service.overloaded and Retry-After before the app sees it; health
and metrics are never refused; commands and reads do not share slots."""

import asyncio
import json
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from tickets.api.admission import (
    AdmissionCollector,
    AdmissionLimits,
    AdmissionMiddleware,
    Budget,
    Budgets,
)


async def test_a_free_slot_is_taken_and_given_back() -> None:
    budget = Budget("commands", 2, max_wait=0)
    assert await budget.acquire()
    assert await budget.acquire()
    assert budget.in_flight == 2
    assert not await budget.acquire()
    assert budget.shed == 1
    budget.release()
    assert await budget.acquire()
    assert (budget.admitted, budget.in_flight) == (3, 2)


async def test_a_queued_request_gets_the_next_freed_slot() -> None:
    budget = Budget("commands", 1, max_wait=60)
    assert await budget.acquire()
    waiting = asyncio.create_task(budget.acquire())
    async with asyncio.timeout(10):
        while budget.queued == 0:  # noqa: ASYNC110 - the budget has no event to wait on
            await asyncio.sleep(0)
    assert not waiting.done()
    budget.release()
    assert await asyncio.wait_for(waiting, 10) is True
    assert (budget.in_flight, budget.queued) == (1, 0)


async def test_past_a_full_queue_a_request_is_refused_at_once() -> None:
    budget = Budget("commands", 1, max_wait=60)
    assert await budget.acquire()
    waiting = asyncio.create_task(budget.acquire())
    async with asyncio.timeout(10):
        while budget.queued == 0:  # noqa: ASYNC110 - the budget has no event to wait on
            await asyncio.sleep(0)
    assert await budget.acquire() is False  # the queue holds ``limit`` at most
    budget.release()
    assert await asyncio.wait_for(waiting, 10) is True


async def test_a_wait_that_runs_out_is_refused_and_leaks_no_slot() -> None:
    budget = Budget("commands", 1, max_wait=0.01)
    assert await budget.acquire()
    assert await budget.acquire() is False
    assert (budget.shed, budget.queued, budget.in_flight) == (1, 0, 1)
    budget.release()
    assert await budget.acquire()


class Held:
    """An ASGI app that answers 200 once ``release`` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.entered += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def call(app: Any, method: str, path: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            # As RequestContextMiddleware does: a header added to the list it is given.
            message.setdefault("headers", []).append((b"x-request-id", b"r"))
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": []}
    await app(scope, receive, send)
    return sent


async def test_the_middleware_sheds_commands_but_not_reads_health_or_metrics() -> None:
    inner = Held()
    budgets = Budgets.of(AdmissionLimits(commands=1, reads=1, max_wait=0))
    app = AdmissionMiddleware(inner, budgets)
    held = asyncio.create_task(call(app, "POST", "/tickets"))
    async with asyncio.timeout(10):
        while inner.entered == 0:  # noqa: ASYNC110 - the app has no event to wait on
            await asyncio.sleep(0)

    start, body = await call(app, "POST", "/tickets/x/submit")
    header_count = len(start["headers"])
    assert start["status"] == 503
    headers = dict(start["headers"])
    assert headers[b"retry-after"] == b"1"
    assert headers[b"content-type"] == b"application/problem+json"
    assert json.loads(body["body"])["code"] == "service.overloaded"
    assert inner.entered == 1  # the refused request never reached the app
    again, _ = await call(app, "POST", "/tickets")
    assert len(again["headers"]) == header_count  # no header kept from the last refusal

    inner.release.set()  # reads, health and metrics pass while commands are shed
    for method, path in (("GET", "/tickets"), ("GET", "/health/live"), ("GET", "/metrics")):
        assert (await call(app, method, path))[0]["status"] == 200
    assert (await held)[0]["status"] == 200
    assert (await call(app, "POST", "/tickets"))[0]["status"] == 200


async def test_the_budgets_are_exported_as_metrics() -> None:
    budgets = Budgets.of(AdmissionLimits(commands=1, reads=3, max_wait=0))
    assert await budgets.commands.acquire()
    assert not await budgets.commands.acquire()
    registry = CollectorRegistry()
    registry.register(AdmissionCollector(budgets))
    text = generate_latest(registry).decode()
    assert 'tickets_http_shed_total{kind="commands"} 1.0' in text
    assert 'tickets_http_shed_total{kind="reads"} 0.0' in text
    assert 'tickets_http_in_flight{kind="commands"} 1.0' in text
    assert 'tickets_http_in_flight_limit{kind="reads"} 3.0' in text
