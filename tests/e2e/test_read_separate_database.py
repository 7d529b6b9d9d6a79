"""TICKETS_READ_DATABASE_URL: projections write to, and queries read from, a second
database; the write database holds no read-model rows."""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import settings_for
from tests.e2e.http_helpers import claims_of
from tests.integration.conftest import context, register
from tickets.application.commands import CreateTicket
from tickets.bootstrap import Runtime, build_app, open_runtime
from tickets.config import Settings
from tickets.infrastructure.outbox.drain import drain
from tickets.readmodel.freshness import VersionWaiter
from tickets.testing.scratch_databases import scratch_database


@pytest.fixture
async def two_databases(server_url: str) -> AsyncIterator[tuple[str, str]]:
    async with scratch_database(server_url) as write, scratch_database(server_url) as read:
        yield write, read


@pytest.fixture
async def split(two_databases: tuple[str, str]) -> AsyncIterator[tuple[Settings, Runtime]]:
    write_url, read_url = two_databases
    settings = settings_for(write_url, read_database_url=read_url)
    async with open_runtime(settings) as runtime:
        assert runtime.read_url == read_url
        yield settings, runtime


async def fetchval(url: str, sql: str, *args: object) -> object:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


async def test_read_model_lives_in_the_read_database_only(
    two_databases: tuple[str, str],
    split: tuple[Settings, Runtime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_url, read_url = two_databases
    settings, runtime = split
    author = await register(runtime)
    created = await runtime.bus.handle(
        CreateTicket(actor=author, title="Split brain", description="two DBs"), context()
    )
    ticket_id = created.result.id

    assert await drain(runtime.dispatcher) >= 1

    assert await fetchval(read_url, "SELECT title FROM read.ticket_list") == "Split brain"
    assert await fetchval(read_url, "SELECT version FROM read.ticket_details") == 1
    assert await fetchval(read_url, "SELECT count FROM read.status_counts") == 1
    position = await fetchval(
        read_url,
        "SELECT max(position) FROM read.subscription_lanes WHERE subscription = 'read_model'",
    )
    assert position == 1, "the read model's position, next to its effects"
    assert await fetchval(read_url, "SELECT to_regclass('tickets.tickets')") is None
    for table in ("ticket_list", "ticket_details", "status_counts", "subscription_lanes"):
        in_write = await fetchval(write_url, "SELECT to_regclass($1)::text", f"read.{table}")
        if in_write is not None:
            assert await fetchval(write_url, f"SELECT count(*) FROM read.{table}") == 0
    assert (
        await fetchval(
            write_url,
            "SELECT position FROM tickets.outbox_messages WHERE aggregate_id = $1",
            ticket_id,
        )
        == 1
    )

    app = build_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tickets") as http:
            login = await http.post(
                "/auth/token", json={"username": author.name, "role": "requester"}
            )
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            assert claims_of(headers)["sub"] == str(author.id)

            listed = await http.get("/tickets", headers=headers)
            details = await http.get(f"/tickets/{ticket_id}", headers=headers)
            stats = await http.get("/tickets/stats", headers=headers)

            assert listed.status_code == 200, listed.text
            assert [i["id"] for i in listed.json()["items"]] == [str(ticket_id)]
            assert details.status_code == 200, details.text
            assert details.json()["title"] == "Split brain"
            assert stats.json()["counts"]["draft"] == 1

            # read-your-writes: the waiter listens on the read database
            submitted = await http.post(f"/tickets/{ticket_id}/submit", headers=headers)
            assert submitted.json()["version"] == 2
            waiting = asyncio.Event()
            original = VersionWaiter.wait_for

            async def wait_for(self: VersionWaiter, *args: Any) -> int | None:
                waiting.set()  # registered, about to check and wait
                return await original(self, *args)

            monkeypatch.setattr(VersionWaiter, "wait_for", wait_for)
            started = time.monotonic()
            read = asyncio.create_task(
                http.get(f"/tickets/{ticket_id}", params={"min_version": 2}, headers=headers)
            )
            await asyncio.wait_for(waiting.wait(), 5)
            await drain(runtime.dispatcher)
            response = await asyncio.wait_for(read, 10)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "submitted"
            assert time.monotonic() - started < 3, "woken by the read database's notice"
