"""PostgreSQL killed (SIGKILL of the postmaster) twice under load, on a cluster of the
test's own: `tickets serve` and a separate `tickets worker` never answer 500, work
again within seconds of the restart, and delivery drains everything by itself, nothing
lost or doubled (issue "Delivery that never stops…", point 3)."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator

import asyncpg
import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.faults.own_postgres import OwnPostgres
from tests.faults.processes import free_port, start_tickets, stop_gracefully
from tests.faults.waiting import eventually
from tickets.bench.databases import NOTHING_PENDING

RETRYABLE = (httpx.TransportError, httpx.TimeoutException)
CRASHES = 2


@pytest.fixture
def postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Clients:
    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.versions: dict[uuid.UUID, int] = {}
        self.last_ok = time.monotonic()

    def progressed(self, tickets: int) -> Callable[[], Awaitable[bool]]:
        start = len(self.versions)
        return lambda: asyncio.sleep(0, len(self.versions) >= start + tickets)

    def refused(self) -> Callable[[], Awaitable[bool]]:
        start = self.statuses.count(503)
        return lambda: asyncio.sleep(0, self.statuses.count(503) > start)

    def succeeded_after(self, moment: float) -> Callable[[], Awaitable[bool]]:
        return lambda: asyncio.sleep(0, self.last_ok > moment)

    async def command(
        self, http: httpx.AsyncClient, path: str, headers: dict[str, str], body: object
    ) -> httpx.Response:
        """POST until it succeeds; the same Idempotency-Key every try, so a command that
        committed before its answer was lost is replayed, not applied twice."""
        headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
        async with asyncio.timeout(60):
            while True:
                try:
                    response = await http.post(path, json=body, headers=headers)
                except RETRYABLE:
                    continue
                self.statuses.append(response.status_code)
                if response.status_code in (200, 201):
                    self.last_ok = time.monotonic()
                    return response
                assert response.status_code in (409, 503), response.text  # never a 500
                await asyncio.sleep(0.05)

    async def lifecycles(
        self, http: httpx.AsyncClient, who: dict[str, dict[str, str]], done: asyncio.Event
    ) -> None:
        while not done.is_set():
            created = await self.command(http, "/tickets", who["author"], {"title": "crash"})
            ticket = uuid.UUID(created.json()["id"])
            self.versions[ticket] = 1
            for step, role in (("comments", "author"), ("submit", "author"), ("approve", "boss")):
                body = {"body": "c"} if step == "comments" else None
                headers = {**who[role], "If-Match": f'"{self.versions[ticket]}"'}
                answer = await self.command(http, f"/tickets/{ticket}/{step}", headers, body)
                self.versions[ticket] = int(answer.headers["etag"].strip('"'))


async def login(http: httpx.AsyncClient, name: str, role: str) -> dict[str, str]:
    async with asyncio.timeout(60):
        while True:
            try:
                response = await http.post("/auth/token", json={"username": name, "role": role})
                if response.status_code == 200:
                    return {"Authorization": f"Bearer {response.json()['access_token']}"}
            except RETRYABLE:
                pass
            await asyncio.sleep(0.05)


async def test_postmaster_killed_twice_recovers_without_500_and_loses_nothing(
    postgres: OwnPostgres,
) -> None:
    admin = await asyncpg.connect(postgres.url)
    await admin.execute("CREATE DATABASE tickets")
    await admin.close()
    url = postgres.url.rsplit("/", 1)[0] + "/tickets"
    port = free_port()
    env = {
        "TICKETS_DATABASE_URL": url,
        "TICKETS_JWT_SECRET": TEST_SECRET,
        "TICKETS_DEV_LOGIN": "true",
        "TICKETS_RUN_WORKER": "false",
        "TICKETS_OUTBOX_LEASE_SECONDS": "2",
        "TICKETS_LOG_LEVEL": "WARNING",
        "TICKETS_DB_POOL_SIZE": "4",
    }
    api = start_tickets(["serve", "--port", str(port)], env, port=port)
    worker = start_tickets(["worker"], env, ready=("running", 1))
    clients = Clients()
    done = asyncio.Event()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            who = {
                "author": await login(http, "crash-author", "requester"),
                "boss": await login(http, "crash-boss", "approver"),
            }
            drivers = [asyncio.create_task(clients.lifecycles(http, who, done)) for _ in range(3)]
            recoveries = []
            for _ in range(CRASHES):
                await eventually(
                    lambda n=len(clients.versions): asyncio.sleep(0, len(clients.versions) > n + 5),
                    within=60,
                )
                await asyncio.to_thread(postgres.kill)
                await asyncio.sleep(0.5)  # requests meanwhile: refused with 503
                await asyncio.to_thread(postgres.start)
                restarted = time.monotonic()
                await eventually(
                    lambda r=restarted: asyncio.sleep(0, clients.last_ok > r), within=30
                )
                recoveries.append(clients.last_ok - restarted)
            done.set()
            await asyncio.gather(*drivers)
        assert 500 not in clients.statuses
        assert 503 in clients.statuses, "the crashes were seen by the clients"
        assert max(recoveries) < 10, recoveries

        db = await asyncpg.connect(url)
        try:
            await eventually(lambda: db.fetchval(NOTHING_PENDING), within=120, every=0.2)
            rows = await db.fetch("SELECT ticket_id, version, history FROM read.ticket_details")
            projected = {r["ticket_id"]: r["version"] for r in rows}
            assert projected == clients.versions, "every acknowledged command, projected"
            logged = await db.fetch(
                "SELECT aggregate_id, count(*) AS n, max(aggregate_version) AS v"
                " FROM tickets.outbox_messages GROUP BY 1"
            )
            assert all(r["n"] == r["v"] for r in logged), "no event doubled or missing"
            notified = await db.fetchval("SELECT count(*) FROM tickets.notifications")
            approved = sum(1 for v in clients.versions.values() if v == 4)
            assert notified == approved, "each decision notified once"
        finally:
            await db.close()
    finally:
        done.set()
        codes = stop_gracefully([api, worker])
    assert codes == [0, 0]
