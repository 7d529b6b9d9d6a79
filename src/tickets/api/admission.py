"""Admission control: work that cannot start soon is refused at once, not queued.

Each request class (commands, reads) has a budget: at most ``limit`` requests in
progress, and at most ``limit`` more waiting up to ``max_wait`` seconds for one of them
to finish. A request past that is answered 503 ``service.overloaded`` with
``Retry-After`` before any work is done for it (no token check, no body parsing, no
database). Health checks and /metrics have no budget: they are never shed. Commands and
reads have separate budgets, so a flood of commands never sheds a read, and the
reverse.

Why a fixed limit with a short queue: the process serves on one event loop and a few
pooled connections; past some concurrency a request only waits longer (for the loop,
for a connection) and gets nothing more done. Letting it in makes every admitted
request slower (by Little's law the wait grows with the number in the system) until
they all time out; refusing it keeps the admitted requests' latency and tells the
client to come back. The short queue absorbs bursts shorter than ``max_wait``.

A client that ignores ``Retry-After`` and asks again at once would turn these cheap
refusals into most of the process's work (a refusal is fast, so it asks again sooner).
So the server does not read the next request on a refused request's connection until
``Retry-After`` has passed (``HOLD_READING``, applied by tickets.http_protocol): a
client that honours the header notices nothing, one that does not is slowed to the pace
the header asked for, and other connections are untouched.

Why 503 and never 429: the process cannot tell which client causes the load. Shedding
happens before authentication (so it stays cheap), and behind a proxy every request
comes from the proxy's address. Per-client rate limits (429) belong in the proxy or
gateway in front, which knows the clients.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.types import ASGIApp, Receive, Scope, Send

from tickets.api.problems import problem

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NEVER_SHED = ("/health/", "/metrics")
RETRY_AFTER_SECONDS = 1
HOLD_READING = "tickets.hold_reading_seconds"
"""Scope key of a refused request: how long the server should not read the next request
on its connection (see tickets.http_protocol)."""


@dataclass(frozen=True)
class AdmissionLimits:
    commands: int = 8
    """Commands (every method but GET, HEAD, OPTIONS) in progress at once."""
    reads: int = 16
    """Reads in progress at once."""
    max_wait: float = 0.05
    """Longest wait for a slot, in seconds; 0: no queue, refuse at once."""


class Budget:
    """One class's slots. A request takes a slot at once when one is free, else queues
    (if fewer than ``limit`` are queued) for at most ``max_wait`` seconds."""

    def __init__(self, name: str, limit: int, max_wait: float) -> None:
        self.name = name
        self.limit = limit
        self.max_wait = max_wait
        self._slots = asyncio.Semaphore(limit)
        self.in_flight = 0
        self.queued = 0
        self.shed = 0
        self.admitted = 0

    async def acquire(self) -> bool:
        """True with a slot taken (give it back with ``release``); False: shed."""
        # One event loop, no await between the checks and the take: nobody can take the
        # free slot in between, so the fast path never blocks.
        if not self._slots.locked():
            await self._slots.acquire()
            self.admitted += 1
            self.in_flight += 1
            return True
        if self.max_wait <= 0 or self.queued >= self.limit:
            self.shed += 1
            return False
        self.queued += 1
        try:
            # asyncio.Semaphore hands a slot released during a timeout on to the next
            # waiter, so a timed-out wait never leaks a slot.
            async with asyncio.timeout(self.max_wait):
                await self._slots.acquire()
        except TimeoutError:
            self.shed += 1
            return False
        finally:
            self.queued -= 1
        self.admitted += 1
        self.in_flight += 1
        return True

    def release(self) -> None:
        self.in_flight -= 1
        self._slots.release()


@dataclass(frozen=True)
class Budgets:
    commands: Budget
    reads: Budget

    @classmethod
    def of(cls, limits: AdmissionLimits) -> "Budgets":
        return cls(
            Budget("commands", limits.commands, limits.max_wait),
            Budget("reads", limits.reads, limits.max_wait),
        )

    def __iter__(self) -> Iterator[Budget]:
        return iter((self.commands, self.reads))


class Refusal:
    """The 503 for one class, rendered once. Each refusal sends a fresh copy of the
    header list: the middleware outside adds X-Request-ID to the list it is given, and
    a list shared by every refusal would grow by one header per refusal."""

    def __init__(self, kind: str) -> None:
        response = problem(
            503,
            "service.overloaded",
            "Service overloaded",
            f"too many {kind} in progress; retry after {RETRY_AFTER_SECONDS} s",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
        self.headers = tuple(response.raw_headers)
        self.body = bytes(response.body)

    async def __call__(self, send: Send) -> None:
        headers = list(self.headers)
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


class AdmissionMiddleware:
    """Pure ASGI middleware applying the budgets before the app sees a request."""

    def __init__(self, app: ASGIApp, budgets: Budgets) -> None:
        self.app = app
        self.commands, self.reads = budgets.commands, budgets.reads
        self._refusals = {"commands": Refusal("commands"), "reads": Refusal("reads")}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NEVER_SHED):
            await self.app(scope, receive, send)
            return
        budget = self.reads if scope["method"] in READ_METHODS else self.commands
        if not await budget.acquire():
            scope[HOLD_READING] = RETRY_AFTER_SECONDS
            await self._refusals[budget.name](send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            budget.release()


class AdmissionCollector:
    """Exports the budgets on /metrics, read at scrape time (nothing per request)."""

    def __init__(self, budgets: Budgets) -> None:
        self._budgets = budgets

    def collect(self) -> Iterator[Metric]:
        shed = CounterMetricFamily(
            "tickets_http_shed", "Requests refused with 503 service.overloaded", labels=["kind"]
        )
        admitted = CounterMetricFamily(
            "tickets_http_admitted", "Requests admitted by admission control", labels=["kind"]
        )
        in_flight = GaugeMetricFamily(
            "tickets_http_in_flight", "Admitted requests in progress", labels=["kind"]
        )
        queued = GaugeMetricFamily(
            "tickets_http_queued", "Requests waiting for a slot", labels=["kind"]
        )
        limit = GaugeMetricFamily(
            "tickets_http_in_flight_limit", "Most requests in progress at once", labels=["kind"]
        )
        for b in self._budgets:
            shed.add_metric([b.name], b.shed)
            admitted.add_metric([b.name], b.admitted)
            in_flight.add_metric([b.name], b.in_flight)
            queued.add_metric([b.name], b.queued)
            limit.add_metric([b.name], b.limit)
        yield from (shed, admitted, in_flight, queued, limit)
