"""Every route while the database is away, through a TCP proxy the test controls in
front of the real PostgreSQL: refused connections are a 503 problem within 3 s, a
database that accepts and never answers a 503 within 8 s (the connect and statement
bounds), and every route serves again once the database is back.

The deadlines are upper bounds the service promises its clients, not performance
figures: a request that hangs past them is the failure being tested."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio

from tests.conftest import settings_for
from tests.e2e.http_helpers import Headers, assert_problem, create_ticket
from tests.support.tcp_proxy import TcpProxy, proxy_to_database, through
from tickets.bootstrap import build_app, open_runtime
from tickets.infrastructure.backoff import Backoff
from tickets.infrastructure.outbox.drain import drain
from tickets.infrastructure.pools import connect
from tickets.readmodel.freshness import VersionWaiter
from tickets.testing.scratch_databases import scratch_database

REFUSED_WITHIN = 3.0
HUNG_WITHIN = 8.0
BACK_WITHIN = 15.0


@dataclass
class Outage:
    http: httpx.AsyncClient
    proxy: TcpProxy
    author: Headers
    admin: Headers
    ticket_id: str

    def requests(self) -> list[tuple[str, str, dict[str, Any] | None, Headers]]:
        """(method, path, JSON body, headers) of a request to every route that needs
        the database: queries, commands, dead-letter administration, dev login."""
        ticket = f"/tickets/{self.ticket_id}"
        login = {"username": f"late-{uuid.uuid4().hex[:8]}", "role": "requester"}
        return [
            ("GET", "/tickets", None, self.author),
            ("GET", "/tickets?author=someone&q=word", None, self.admin),
            ("GET", "/tickets/stats", None, self.author),
            ("GET", ticket, None, self.author),
            ("GET", f"{ticket}?min_version=1", None, self.author),
            ("POST", "/tickets", {"title": "during"}, self.author),
            ("PATCH", ticket, {"description": "during"}, self.author),
            ("POST", f"{ticket}/comments", {"body": "during"}, self.author),
            ("GET", "/admin/dead-letters", None, self.admin),
            ("GET", f"/admin/dead-letters/{uuid.uuid4()}", None, self.admin),
            ("GET", "/admin/outbox", None, self.admin),
            ("POST", "/auth/token", login, {}),
        ]

    async def send(
        self, method: str, path: str, body: dict[str, Any] | None, headers: Headers
    ) -> tuple[httpx.Response, float]:
        started = time.monotonic()
        response = await self.http.request(method, path, json=body, headers=headers)
        return response, time.monotonic() - started


async def token(http: httpx.AsyncClient, role: str) -> Headers:
    body = {"username": f"{role}-{uuid.uuid4().hex[:8]}", "role": role}
    response = await http.post("/auth/token", json=body)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest_asyncio.fixture
async def outage(server_url: str) -> AsyncIterator[Outage]:
    """An app whose every database connection goes through a proxy; one ticket exists
    and is delivered to the read model."""
    async with (
        scratch_database(server_url) as direct_url,
        proxy_to_database(server_url) as proxy,
    ):
        app = build_app(settings_for(through(proxy, direct_url)))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://tickets"
            ) as http,
            open_runtime(settings_for(direct_url)) as direct,
        ):
            author, admin = await token(http, "requester"), await token(http, "admin")
            ticket = await create_ticket(http, author)
            await drain(direct.dispatcher)
            yield Outage(http, proxy, author, admin, ticket["id"])


async def every_route_is_unavailable_within(outage: Outage, bound: float) -> None:
    answers = await asyncio.gather(*(outage.send(*r) for r in outage.requests()))
    for (method, path, _, _), (response, elapsed) in zip(outage.requests(), answers, strict=True):
        assert_problem(response, 503, "service.unavailable")
        assert response.headers.get("retry-after", "").isdigit(), (method, path)
        assert elapsed < bound, f"{method} {path} took {elapsed:.1f}s (bound {bound}s)"


async def every_route_serves_again(outage: Outage) -> None:
    await outage.proxy.restore()
    deadline = time.monotonic() + BACK_WITHIN
    for method, path, body, headers in outage.requests():
        while True:
            response, _ = await outage.send(method, path, body, headers)
            if response.status_code != 503 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)  # polling: stale pooled connections are dropped
        expected = {404} if "/admin/dead-letters/" in path else {200, 201}
        assert response.status_code in expected, (method, path, response.text)


async def test_refused_connections_are_503_at_once_on_every_route(outage: Outage) -> None:
    await outage.proxy.refuse()
    await every_route_is_unavailable_within(outage, REFUSED_WITHIN)
    await every_route_serves_again(outage)


async def test_a_database_that_never_answers_is_503_within_the_bound(outage: Outage) -> None:
    outage.proxy.hang()
    await every_route_is_unavailable_within(outage, HUNG_WITHIN)
    await every_route_serves_again(outage)


async def test_the_read_your_writes_listener_comes_back_with_the_database(
    server_url: str,
) -> None:
    async with proxy_to_database(server_url) as proxy:
        waiter = VersionWaiter(
            lambda: connect(through(proxy, server_url)), Backoff(first=0.25, cap=5.0)
        )
        await waiter.start()
        try:
            assert waiter.listening
            await proxy.refuse()
            await until(lambda: not waiter.listening, "the listener noticed the loss")
            await proxy.restore()
            await until(lambda: waiter.listening, "the listener is back")
        finally:
            await waiter.stop()


async def until(condition: Callable[[], bool], what: str, within: float = BACK_WITHIN) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not within {within}s: {what}"
        await asyncio.sleep(0.02)
