"""Operators see a parked poison event and its held ticket: over HTTP, on the CLI."""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from tests.conftest import TEST_SECRET, settings_for
from tests.faults.conftest import dispatcher_for
from tests.faults.processes import ROOT
from tests.faults.recording_handlers import Failing
from tickets.bootstrap import Runtime, build_app
from tickets.cli.outbox import operator
from tickets.infrastructure.outbox.drain import drain
from tickets.testing.synthetic_events import insert_events, ticket_events


@pytest_asyncio.fixture
async def poisoned(runtime: Runtime) -> uuid.UUID:
    ticket = uuid.uuid4()
    handler = Failing("projector", poisoned=lambda e: e.ticket_id == ticket and e.version == 2)
    await insert_events(runtime.pools.write, ticket_events(ticket, 5))
    await drain(dispatcher_for(runtime, handler))
    return ticket


@pytest_asyncio.fixture
async def http(fault_db: str) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(settings_for(fault_db))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def token(http: httpx.AsyncClient, role: str) -> dict[str, str]:
    response = await http.post("/auth/token", json={"username": f"{role}-ops", "role": role})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_admin_endpoints_show_and_fix_a_parked_ticket(
    poisoned: uuid.UUID, http: httpx.AsyncClient
) -> None:
    admin = await token(http, "admin")
    assert (
        await http.get("/admin/outbox", headers=await token(http, "approver"))
    ).status_code == 403

    status = (await http.get("/admin/outbox", headers=admin)).json()
    assert status["dead"] == 1
    assert status["held"] == 3
    [parked] = status["parked_tickets"]
    assert (parked["ticket_id"], parked["version"], parked["held"]) == (str(poisoned), 2, 3)
    assert parked["subscription"] == "projector", "dead for the failing subscription only"
    lags = {s["subscription"]: s for s in status["subscriptions"]}
    assert lags["projector"]["dead"] == 1

    detail = (await http.get(f"/admin/dead-letters/{parked['id']}", headers=admin)).json()
    assert [a["attempt"] for a in detail["attempt_log"]] == [1, 2, 3]
    assert detail["payload"]["ticket_id"] == str(poisoned)

    elsewhere = f"/admin/dead-letters/{parked['id']}/retry?subscription=notifications"
    assert (await http.post(elsewhere, headers=admin)).status_code == 404
    retried = await http.post(
        f"/admin/dead-letters/{parked['id']}/retry?subscription=projector", headers=admin
    )
    assert retried.status_code == 200
    assert retried.json()["status"] == "retrying"
    assert [a["action"] for a in retried.json()["audit"]] == ["retry"]
    again = await http.post(f"/admin/dead-letters/{parked['id']}/retry", headers=admin)
    assert again.status_code == 404
    assert again.json()["code"] == "dead_letter.not_found"


def test_cli_outbox_status_shows_the_parked_ticket(poisoned: uuid.UUID, fault_db: str) -> None:
    env = {
        **os.environ,
        "TICKETS_DATABASE_URL": fault_db,
        "TICKETS_JWT_SECRET": TEST_SECRET,
        "COLUMNS": "200",
        "TICKETS_LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tickets", "outbox", "status"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert str(poisoned) in result.stdout
    assert "comment.added.v1" in result.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "tickets", "dead-letters", "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "1 dead letter(s)" in listed.stdout
    assert "poison: cannot handle" in listed.stdout


async def tickets_cli(fault_db: str, *args: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "TICKETS_DATABASE_URL": fault_db,
        "TICKETS_JWT_SECRET": TEST_SECRET,
        "COLUMNS": "200",
        "TICKETS_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tickets", *args, cwd=ROOT, env=env, stdout=subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode()


async def test_cli_retry_is_the_audited_use_case_the_api_runs(
    poisoned: uuid.UUID, runtime: Runtime, fault_db: str
) -> None:
    [letter] = await runtime.dead_letters.list_dead(10)

    code, shown = await tickets_cli(
        fault_db, "dead-letters", "retry", str(letter.id), "--subscription", "projector"
    )
    assert code == 0, shown
    assert "subscription projector" in shown
    assert "status retrying" in shown
    assert f"audit: retry by {operator().name}" in shown

    code, again = await tickets_cli(fault_db, "dead-letters", "retry", str(letter.id))
    assert code == 1
    assert again.strip() == f"{letter.id} is not a dead letter"
    missing = uuid.uuid4()
    code, unknown = await tickets_cli(fault_db, "dead-letters", "show", str(missing))
    assert (code, unknown.strip()) == (1, f"no outbox message {missing}")
