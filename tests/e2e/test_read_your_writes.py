"""Guarantee 8: GET /tickets/{id}?min_version=N waits, bounded, until the read model
shows version N. The apps here run no worker: only drain() delivers."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import settings_for
from tests.e2e.conftest import Login
from tests.e2e.http_helpers import assert_etag, assert_problem, create_ticket
from tickets.bootstrap import Runtime, build_app
from tickets.infrastructure.outbox.drain import drain
from tickets.readmodel.freshness import VersionWaiter

SHORT_WAIT = 0.3


@pytest.fixture
def waiting(monkeypatch: pytest.MonkeyPatch) -> asyncio.Queue[tuple[uuid.UUID, int, int | None]]:
    """Reports (ticket, wanted, seen) each time a request has checked the read model and
    is about to wait: a waiter registers before its first check, so a delivery started
    after this report cannot be missed."""
    reports: asyncio.Queue[tuple[uuid.UUID, int, int | None]] = asyncio.Queue()
    original = VersionWaiter.wait_for

    async def wait_for(
        self: VersionWaiter,
        ticket_id: uuid.UUID,
        version: int,
        current: Callable[[], Awaitable[int | None]],
        within: float,
    ) -> int | None:
        checks = 0

        async def reporting_current() -> int | None:
            nonlocal checks
            seen = await current()
            checks += 1
            if checks == 1:
                reports.put_nowait((ticket_id, version, seen))
            return seen

        return await original(self, ticket_id, version, reporting_current, within)

    monkeypatch.setattr(VersionWaiter, "wait_for", wait_for)
    return reports


async def write_then_read(
    client: httpx.AsyncClient,
    runtime: Runtime,
    author: dict[str, str],
    waiting: asyncio.Queue[tuple[uuid.UUID, int, int | None]],
    command: Callable[[str], Awaitable[httpx.Response]],
) -> None:
    ticket = await create_ticket(client, author, title="Read my writes")
    await drain(runtime.dispatcher)
    written = await command(ticket["id"])
    assert written.status_code in (200, 201), written.text
    version = written.json()["version"]
    url = f"/tickets/{ticket['id']}"
    stale = await client.get(url, headers=author)
    assert stale.json()["version"] < version, "nothing has delivered the write yet"
    started = time.monotonic()
    read = asyncio.create_task(client.get(url, params={"min_version": version}, headers=author))

    reported = await asyncio.wait_for(waiting.get(), 5)
    assert reported == (uuid.UUID(ticket["id"]), version, version - 1)
    assert not read.done()
    delivering = asyncio.create_task(drain(runtime.dispatcher))
    response = await asyncio.wait_for(read, 10)
    await delivering

    assert response.status_code == 200, response.text
    assert response.json()["version"] >= version
    assert_etag(response, response.json()["version"])
    assert time.monotonic() - started < 3, "woken by the delivery, not by the 5 s bound"


async def test_min_version_waits_for_a_status_change(
    client: httpx.AsyncClient, runtime: Runtime, login: Login, waiting: Any
) -> None:
    author = await login("eager", "requester")

    async def submit(ticket_id: str) -> httpx.Response:
        return await client.post(f"/tickets/{ticket_id}/submit", headers=author)

    await write_then_read(client, runtime, author, waiting, submit)


async def test_min_version_waits_for_a_comment(
    client: httpx.AsyncClient, runtime: Runtime, login: Login, waiting: Any
) -> None:
    author = await login("chatty", "requester")

    async def comment(ticket_id: str) -> httpx.Response:
        body = {"body": "see attachment"}
        return await client.post(f"/tickets/{ticket_id}/comments", json=body, headers=author)

    await write_then_read(client, runtime, author, waiting, comment)


async def test_min_version_already_shown_answers_at_once(
    client: httpx.AsyncClient, runtime: Runtime, login: Login, waiting: Any
) -> None:
    author = await login("patient", "requester")
    ticket = await create_ticket(client, author)
    await drain(runtime.dispatcher)

    started = time.monotonic()
    response = await client.get(
        f"/tickets/{ticket['id']}", params={"min_version": 1}, headers=author
    )

    assert response.status_code == 200, response.text
    assert_etag(response, 1)
    assert time.monotonic() - started < 1
    assert waiting.empty(), "found at that version: nothing waited for"


@pytest.fixture(scope="module")
async def impatient(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose read-your-writes wait is short; no worker delivers for it."""
    app = build_app(settings_for(database_url, read_wait_seconds=SHORT_WAIT))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tickets") as http:
            yield http


async def impatient_login(http: httpx.AsyncClient, role: str = "requester") -> dict[str, str]:
    name = f"impatient-{uuid.uuid4().hex[:8]}"
    response = await http.post("/auth/token", json={"username": name, "role": role})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_min_version_not_reached_in_time_is_503_readmodel_behind(
    impatient: httpx.AsyncClient, runtime: Runtime
) -> None:
    author = await impatient_login(impatient)
    ticket = await create_ticket(impatient, author)
    await drain(runtime.dispatcher)
    submitted = await impatient.post(f"/tickets/{ticket['id']}/submit", headers=author)
    assert submitted.json()["version"] == 2
    url = f"/tickets/{ticket['id']}"

    try:
        started = time.monotonic()
        response = await impatient.get(url, params={"min_version": 2}, headers=author)
        elapsed = time.monotonic() - started

        body = assert_problem(response, 503, "readmodel.behind")
        assert response.headers.get("retry-after") == "1"
        assert "2" in body["detail"]
        assert SHORT_WAIT <= elapsed < SHORT_WAIT + 1.5, elapsed
    finally:
        await drain(runtime.dispatcher)

    caught_up = await impatient.get(url, params={"min_version": 2}, headers=author)
    assert caught_up.status_code == 200, caught_up.text
    assert caught_up.json()["status"] == "submitted"


async def test_min_version_on_a_hidden_or_missing_ticket_is_404_at_once(
    client: httpx.AsyncClient, runtime: Runtime, login: Login, waiting: Any
) -> None:
    """Neither a 503 nor a wait: either would tell another requester that the ticket
    exists, and at which version."""
    author = await login("hider", "requester")
    other = await login("prober", "requester")
    ticket = await create_ticket(client, author)
    await drain(runtime.dispatcher)
    submitted = await client.post(f"/tickets/{ticket['id']}/submit", headers=author)
    assert submitted.status_code == 200, submitted.text

    try:
        cases = [(ticket["id"], 1), (ticket["id"], 2), (ticket["id"], 99), (uuid.uuid4(), 2)]
        for target, wanted in cases:
            response = await client.get(
                f"/tickets/{target}", params={"min_version": wanted}, headers=other
            )
            assert_problem(response, 404)
            assert waiting.empty(), f"waited for a ticket the reader cannot see: {target}"
    finally:
        await drain(runtime.dispatcher)


@pytest.mark.parametrize("wanted", [3, 99, 2**31 - 1])
async def test_min_version_beyond_the_written_version_is_409_at_once(
    client: httpx.AsyncClient, runtime: Runtime, login: Login, waiting: Any, wanted: int
) -> None:
    """No write produced that version, so no wait could end: the answer says so at once
    (it was 503 readmodel.behind, "retry shortly", after the whole wait)."""
    author = await login("overreach", "requester")
    approver = await login("overseer", "approver")
    ticket = await create_ticket(client, author)
    submitted = await client.post(f"/tickets/{ticket['id']}/submit", headers=author)
    assert submitted.json()["version"] == 2
    try:
        for reader in (author, approver):
            response = await client.get(
                f"/tickets/{ticket['id']}", params={"min_version": wanted}, headers=reader
            )
            body = assert_problem(response, 409, "ticket.version_not_written")
            assert f"at version 2; version {wanted}" in body["detail"]
            assert waiting.empty(), "waited for a version that was never written"
    finally:
        await drain(runtime.dispatcher)


async def test_the_author_waits_for_a_ticket_just_created(
    client: httpx.AsyncClient,
    runtime: Runtime,
    login: Login,
    waiting: asyncio.Queue[tuple[uuid.UUID, int, int | None]],
) -> None:
    """Right after the create the read model does not show the ticket: with min_version
    its author waits for it like for any other version (it was 404 at once)."""
    author = await login("eager", "requester")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}"
    not_yet = await client.get(url, headers=author)
    assert_problem(not_yet, 404, "ticket.not_found")  # without min_version: not shown yet
    read = asyncio.create_task(client.get(url, params={"min_version": 1}, headers=author))

    reported = await asyncio.wait_for(waiting.get(), 5)
    assert reported == (uuid.UUID(ticket["id"]), 1, None)
    assert not read.done()
    await drain(runtime.dispatcher)
    response = await asyncio.wait_for(read, 10)

    assert response.status_code == 200, response.text
    assert_etag(response, 1)
