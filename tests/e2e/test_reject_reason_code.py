"""POST /tickets/{id}/reject takes an optional reason_code; it is stored in the event."""

import uuid

import asyncpg
import httpx

from tests.e2e.conftest import Login
from tests.e2e.http_helpers import assert_problem, submitted_ticket


async def test_a_reason_code_is_stored_with_the_rejection(
    client: httpx.AsyncClient, login: Login, database_url: str
) -> None:
    author, approver = await login("coded", "requester"), await login("decider", "approver")
    ticket = await submitted_ticket(client, author)
    body = {"reason": "we have one", "reason_code": "duplicate"}
    response = await client.post(f"/tickets/{ticket['id']}/reject", json=body, headers=approver)
    assert response.status_code == 200, response.text
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            "SELECT event_type, payload->>'reason_code' AS code FROM tickets.outbox_messages"
            " WHERE aggregate_id = $1 AND aggregate_version = 3",
            uuid.UUID(ticket["id"]),
        )
    finally:
        await connection.close()
    assert row is not None
    assert (row["event_type"], row["code"]) == ("ticket.rejected.v2", "duplicate")


async def test_an_unknown_reason_code_is_a_422(client: httpx.AsyncClient, login: Login) -> None:
    author, approver = await login("coded", "requester"), await login("decider", "approver")
    ticket = await submitted_ticket(client, author)
    body = {"reason": "no", "reason_code": "because"}
    response = await client.post(f"/tickets/{ticket['id']}/reject", json=body, headers=approver)
    assert_problem(response, 422)
