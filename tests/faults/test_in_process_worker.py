"""`tickets serve` runs the outbox worker in-process: a decision reaches the author's
notifications with no drain() call, woken by NOTIFY; readiness reflects the worker."""

from typing import Any

import httpx

from tests.conftest import settings_for
from tests.faults.waiting import eventually
from tickets.bootstrap import Runtime, build_app


async def test_served_app_delivers_a_decision_notification(runtime: Runtime, fault_db: str) -> None:
    app = build_app(settings_for(fault_db, run_worker=True, outbox_poll_seconds=30))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:

            async def login(name: str, role: str) -> dict[str, str]:
                body = {"username": name, "role": role}
                token = (await http.post("/auth/token", json=body)).json()["access_token"]
                return {"Authorization": f"Bearer {token}"}

            alice, bob = await login("alice", "requester"), await login("bob", "approver")
            ticket = (await http.post("/tickets", json={"title": "x"}, headers=alice)).json()
            await http.post(f"/tickets/{ticket['id']}/submit", headers=alice)
            reason = {"reason": "no budget"}
            rejected = await http.post(f"/tickets/{ticket['id']}/reject", json=reason, headers=bob)
            assert rejected.status_code == 200

            # Polling is 30 s here: only NOTIFY can wake the worker within the deadline.
            row: Any = await eventually(
                lambda: runtime.pools.write.fetchrow(
                    "SELECT user_id, kind, text FROM tickets.notifications WHERE ticket_id = $1",
                    ticket["id"],
                ),
                within=5,
            )
            assert str(row["user_id"]) == ticket["author"]["id"]
            assert row["kind"] == "rejected"
            assert "bob rejected your ticket: no budget" in row["text"]

            ready = await http.get("/health/ready")
            assert ready.status_code == 200, ready.text

            # The worker counts events after its round committed, which is after the
            # handler's row is visible: the count may trail the row by a round trip.
            async def delivered_three() -> bool:
                metrics = (await http.get("/metrics")).text
                read_model = 'tickets_outbox_delivered_total{subscription="read_model"} 3.0'
                notifications = 'tickets_outbox_delivered_total{subscription="notifications"} 1.0'
                return read_model in metrics and notifications in metrics

            assert await eventually(delivered_three, within=5)


async def test_readiness_names_each_subscription_behind_an_old_event(
    runtime: Runtime, fault_db: str
) -> None:
    app = build_app(settings_for(fault_db, ready_max_outbox_age_seconds=60))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            assert (await http.get("/health/ready")).status_code == 200
            await runtime.pools.write.execute(
                "INSERT INTO tickets.outbox_messages (id, aggregate_id, aggregate_version, "
                "event_type, payload, metadata, occurred_at) VALUES (gen_random_uuid(), "
                "gen_random_uuid(), 1, 'ticket.created.v1', '{}', '{}', now() - interval '2 hours')"
            )
            ready = await http.get("/health/ready")
            assert ready.status_code == 503
            detail = ready.json()["detail"]
            assert "subscription read_model is 7200s behind" in detail
            assert "subscription notifications is 7200s behind" in detail
