"""A deployment as docs/operations.md describes it: `tickets serve --workers 2` and
`tickets worker --processes 2` on one database. Clients drive ticket lifecycles with
`Idempotency-Key` and `If-Match`, retrying every failed command, while one API process
and one worker process are killed with SIGKILL (and restarted by their supervisors) in a
loop. Afterwards every acknowledged command is in the read model exactly once, and both
supervisors stop cleanly on SIGTERM.

With TICKETS_TEST_BROKER_URL set, the processes also publish to the broker (a unique
exchange), and a queue the test bound before the traffic must hold every committed
event: each outbox message at least once, and per ticket in version order once
deduplicated by message_id as a consumer does (a worker killed between the broker's
confirm and its commit publishes again: a duplicate, never a gap). Without a broker
the rest of the test still runs.
"""

import asyncio
import os
import signal
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest
import pytest_asyncio
from aio_pika.abc import AbstractQueue

from tests.conftest import TEST_SECRET
from tests.faults.processes import free_port, start_tickets, stop_gracefully
from tests.faults.waiting import eventually
from tests.support.broker import bound_queue, first_seen, take_all, unique_exchange
from tickets.api_processes import SPREADS_CONNECTIONS
from tickets.bench.databases import NOTHING_PENDING

CLIENTS, KILLS = 4, 3
RETRYABLE = (httpx.TransportError, httpx.TimeoutException)


@dataclass
class Acknowledged:
    """What the API confirmed: per ticket, the version after each command."""

    versions: dict[uuid.UUID, list[int]] = field(default_factory=dict)
    create_keys: int = 0

    @property
    def commands(self) -> int:
        return sum(len(v) for v in self.versions.values())


@dataclass(frozen=True)
class Stream:
    """The broker the deployment publishes to, and the test's queue bound to all of it."""

    url: str
    exchange: str
    queue: AbstractQueue


@pytest_asyncio.fixture
async def stream(broker_url_if_set: str | None) -> AsyncIterator[Stream | None]:
    if broker_url_if_set is None:
        yield None
        return
    exchange = unique_exchange()
    # Bound before any process starts, so it receives every event they publish.
    async with bound_queue(broker_url_if_set, exchange) as queue:
        yield Stream(broker_url_if_set, exchange, queue)


@pytest.fixture
def deployment(
    fault_db: str, stream: Stream | None
) -> Iterator[tuple[int, psutil.Process, psutil.Process]]:
    port = free_port()
    env = {
        "TICKETS_DATABASE_URL": fault_db,
        "TICKETS_JWT_SECRET": TEST_SECRET,
        "TICKETS_DEV_LOGIN": "true",
        "TICKETS_RUN_WORKER": "false",  # delivery is the worker processes' job here
        "TICKETS_OUTBOX_LEASE_SECONDS": "2",  # a killed worker's claims expire quickly
        "TICKETS_LOG_LEVEL": "WARNING",
        "TICKETS_DB_POOL_SIZE": "3",  # four processes on a server other tests share
    }
    if stream is not None:
        env["TICKETS_BROKER_URL"] = stream.url
        env["TICKETS_BROKER_EXCHANGE"] = stream.exchange
    api = start_tickets(["serve", "--port", str(port), "--workers", "2"], env, port=port)
    workers = start_tickets(["worker", "--processes", "2"], env, ready=("running", 2))
    try:
        yield port, psutil.Process(api.pid), psutil.Process(workers.pid)
    finally:
        codes = stop_gracefully([api, workers])
    assert codes == [0, 0]


def children(parent: psutil.Process, marker: str) -> set[int]:
    found = set()
    for child in parent.children():
        try:
            if any(marker in part for part in child.cmdline()):
                found.add(child.pid)
        except psutil.NoSuchProcess:
            continue
    return found


async def command(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], body: object
) -> httpx.Response:
    """POST until the API answers (a killed process drops its connections): the same
    Idempotency-Key on every try, so a command that committed before the answer was lost
    is replayed, not applied twice."""
    headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    retried = False
    async with asyncio.timeout(30):
        while True:
            try:
                response = await client.post(path, json=body, headers=headers)
            except RETRYABLE:  # a timed-out try may still be running: see the 409 below
                retried = True
                continue
            # A retry that meets 409 raced its own earlier try, still in flight: once that
            # commits, the next retry replays its stored answer.
            if response.status_code >= 500 or (retried and response.status_code == 409):
                retried = True
                continue
            assert response.status_code in (200, 201), response.text
            return response


async def lifecycle(
    client: httpx.AsyncClient, author: dict[str, str], approver: dict[str, str], seen: Acknowledged
) -> None:
    seen.create_keys += 1
    created = await command(client, "/tickets", author, {"title": "deployed"})
    ticket = uuid.UUID(created.json()["id"])
    seen.versions[ticket] = [1]
    steps = [
        ("comments", author, {"body": "first"}),
        ("submit", author, None),
        ("approve", approver, None),
    ]
    for step, who, body in steps:
        version = seen.versions[ticket][-1]
        path = f"/tickets/{ticket}/{step}"
        answer = await command(client, path, {**who, "If-Match": f'"{version}"'}, body)
        seen.versions[ticket].append(int(answer.headers["etag"].strip('"')))


async def token(client: httpx.AsyncClient, name: str, role: str) -> dict[str, str]:
    async with asyncio.timeout(30):
        while True:
            try:
                response = await client.post("/auth/token", json={"username": name, "role": role})
                if response.status_code == 200:
                    return {"Authorization": f"Bearer {response.json()['access_token']}"}
            except RETRYABLE:
                pass


async def kill_and_wait_for_replacement(parent: psutil.Process, marker: str) -> None:
    before = children(parent, marker)
    assert before, f"no {marker} child of {parent.pid}"
    victim = sorted(before)[0]
    os.kill(victim, signal.SIGKILL)

    async def replaced() -> bool:
        now = children(parent, marker)
        return victim not in now and len(now) == len(before)

    await eventually(replaced, within=30, every=0.05)


async def test_killed_api_and_worker_processes_lose_and_double_nothing(
    deployment: tuple[int, psutil.Process, psutil.Process], fault_db: str, stream: Stream | None
) -> None:
    port, api, workers = deployment
    seen = Acknowledged()
    stop = asyncio.Event()
    # No keep-alive: each request opens a connection, so both API processes serve them.
    limits = httpx.Limits(max_keepalive_connections=0)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        author = await token(client, "deploy-author", "requester")
        approver = await token(client, "deploy-approver", "approver")

        async def drive() -> None:
            while not stop.is_set():
                await lifecycle(client, author, approver, seen)

        drivers = [asyncio.create_task(drive()) for _ in range(CLIENTS)]
        try:
            for _ in range(KILLS):
                progress = seen.commands
                await kill_and_wait_for_replacement(api, "tickets.api_processes")
                await kill_and_wait_for_replacement(workers, "worker")
                await eventually(lambda p=progress: _async(seen.commands > p + 20), within=30)
        finally:
            stop.set()
            await asyncio.gather(*drivers)

    assert seen.commands >= KILLS * 20
    connection = await asyncpg.connect(fault_db)
    try:
        await eventually(lambda: connection.fetchval(NOTHING_PENDING), within=30, every=0.1)
        written = await connection.fetchval("SELECT count(*) FROM tickets.tickets")
        outbox = {
            str(r["id"]) for r in await connection.fetch("SELECT id FROM tickets.outbox_messages")
        }
        rows = await connection.fetch(
            "SELECT ticket_id, version, jsonb_array_length(comments) AS comments, "
            "jsonb_array_length(history) AS history FROM read.ticket_details"
        )
    finally:
        await connection.close()

    assert written == seen.create_keys == len(seen.versions), "a retried create doubled"
    read = {r["ticket_id"]: r for r in rows}
    assert set(read) == set(seen.versions)
    for ticket, versions in seen.versions.items():
        assert versions == list(range(1, len(versions) + 1)), "a command applied twice"
        row = read[ticket]
        assert row["version"] == versions[-1]
        assert row["history"] == versions[-1], "an event projected twice or lost"
        assert row["comments"] == (1 if versions[-1] >= 2 else 0)

    if stream is not None:
        # Every subscription is past every event, so each was confirmed: the queue holds it.
        published = first_seen(await take_all(stream.queue))
        assert {m.message_id for m in published} == outbox, "an event missing from the broker"
        by_ticket: dict[uuid.UUID, list[int]] = {}
        for m in published:
            assert m.body["event_id"] == m.message_id
            by_ticket.setdefault(uuid.UUID(m.body["ticket_id"]), []).append(
                m.body["ticket_version"]
            )
        assert by_ticket == seen.versions, "a ticket's events out of order on the broker"


async def _async(value: bool) -> bool:
    return value


def _listening_sockets(port: int) -> int:
    """Sockets listening on ``port``: rows of the kernel's table in state 0A (LISTEN)."""
    rows = [row.split() for row in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(int(r[1].split(":")[1], 16) == port and r[3] == "0A" for r in rows)


def _accepted(api: psutil.Process, port: int) -> dict[int, int]:
    """Per API process: the client connections it accepted on ``port``, by pid."""
    accepted = {}
    for child in api.children():
        try:
            connections = child.net_connections("tcp")
        except psutil.NoSuchProcess:
            continue
        established = [c for c in connections if c.status == psutil.CONN_ESTABLISHED]
        if count := sum(1 for c in established if c.laddr.port == port):
            accepted[child.pid] = count
    return accepted


@pytest.mark.skipif(not SPREADS_CONNECTIONS, reason="SO_REUSEPORT spreads connections on Linux")
async def test_new_connections_are_spread_over_the_api_processes(
    deployment: tuple[int, psutil.Process, psutil.Process],
) -> None:
    """Each API process listens on a socket of its own (tickets.api_processes). With one
    shared socket, the process that woke first accepted a whole burst of connections."""
    port, api, _ = deployment
    await eventually(lambda: _async(_listening_sockets(port) == 2), within=30)
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
    try:
        # All 32 on one process by chance: probability 2 ** -31.
        await eventually(lambda: _async(sum(_accepted(api, port).values()) == 32), within=30)
        assert len(_accepted(api, port)) == 2, _accepted(api, port)
    finally:
        for client in clients:
            client.close()
