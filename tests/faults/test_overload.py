"""Overload is answered, not queued (design §15), on a real `tickets serve` over sockets.

Its command slots are held busy by commands whose bodies have not finished arriving (they
were admitted, so each holds a slot until it completes). Then a new command is refused
at once with 503 `service.overloaded` and `Retry-After`, never `service.unavailable`,
while reads, /health/live and /metrics answer; the refusals are counted on /metrics.
When the held commands finish they succeed, later commands succeed again, and every
command that was accepted is there. No timing is asserted: the limits are tiny and the
queue is off, so a refusal does not depend on how fast the machine is."""

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio

from tests.support.live_server import live_server

SLOTS = 2


@pytest.fixture
def base(fault_db: str, tmp_path: Path) -> Iterator[str]:
    limits = {
        "TICKETS_MAX_COMMANDS_IN_FLIGHT": str(SLOTS),
        "TICKETS_MAX_READS_IN_FLIGHT": "4",
        "TICKETS_MAX_QUEUE_WAIT_SECONDS": "0",
    }
    with live_server(fault_db, tmp_path, **limits) as url:
        yield url


@pytest_asyncio.fixture
async def http(base: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        yield client


async def bearer(http: httpx.AsyncClient, name: str) -> str:
    answer = await http.post("/auth/token", json={"username": name, "role": "requester"})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


class HeldCommand:
    """A POST /tickets whose body arrives in two parts: admitted after the first, it
    holds a command slot until ``finish`` sends the rest."""

    def __init__(self, base: str, token: str, title: str) -> None:
        self.address = urlsplit(base)
        self.token = token
        self.body = json.dumps({"title": title}).encode()

    async def start(self) -> None:
        host, port = self.address.hostname, self.address.port
        self.reader, self.writer = await asyncio.open_connection(host, port)
        head = (
            f"POST /tickets HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {self.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(self.body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + self.body[:5])
        await self.writer.drain()

    async def finish(self) -> tuple[int, dict[str, object]]:
        self.writer.write(self.body[5:])
        await self.writer.drain()
        async with asyncio.timeout(30):
            status = int((await self.reader.readline()).split()[1])
            length = 0
            while (line := await self.reader.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = json.loads(await self.reader.readexactly(length))
        self.writer.close()
        return status, body


async def metric(http: httpx.AsyncClient, name: str) -> float:
    text = (await http.get("/metrics")).text
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert found is not None, name
    return float(found.group(1))


async def until(check: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"not true within {seconds} s: {check}")


async def test_commands_past_their_slots_are_refused_while_reads_and_health_answer(
    http: httpx.AsyncClient, base: str
) -> None:
    token = await bearer(http, "overload")
    auth = {"Authorization": f"Bearer {token}"}
    held = [HeldCommand(base, token, f"held {i}") for i in range(SLOTS)]
    for command in held:
        await command.start()

    async def slots_taken() -> bool:
        return await metric(http, 'tickets_http_in_flight{kind="commands"}') == SLOTS

    await until(slots_taken)

    refused = await http.post("/tickets", json={"title": "refused"}, headers=auth)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "service.overloaded"
    assert (await http.post("/tickets/x/submit", headers=auth)).status_code == 503

    # Reads have their own slots, health checks and metrics none: all answer.
    assert (await http.get("/health/live")).status_code == 200
    listed = await http.get("/tickets", headers=auth)
    assert listed.status_code == 200
    assert await metric(http, 'tickets_http_shed_total{kind="commands"}') == 2
    assert await metric(http, 'tickets_http_shed_total{kind="reads"}') == 0

    # The held commands were accepted: they complete, and commands are served again.
    created = []
    for command in held:
        status, body = await command.finish()
        assert status == 201, body
        created.append(body["id"])
    after = await http.post("/tickets", json={"title": "after"}, headers=auth)
    assert after.status_code == 201, after.text
    created.append(after.json()["id"])

    # Nothing accepted is lost: each accepted command's ticket is there, the refused
    # one is not.
    async def all_listed() -> bool:
        page = (await http.get("/tickets?limit=100", headers=auth)).json()
        return sorted(item["id"] for item in page["items"]) == sorted(created)

    await until(all_listed)
