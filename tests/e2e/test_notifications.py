"""GET /notifications and marking read: a user sees only their own notifications,
newest first, page by page, filtered to the unread ones on request."""

import uuid
from typing import Any

import httpx

from tests.e2e.conftest import Login
from tests.e2e.http_helpers import Headers, assert_problem, submitted_ticket
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.drain import drain


async def decided(
    client: httpx.AsyncClient, author: Headers, approver: Headers, count: int
) -> list[str]:
    """``count`` tickets of ``author``, decided in order (every third rejected)."""
    ids = []
    for n in range(count):
        ticket = await submitted_ticket(client, author)
        url = f"/tickets/{ticket['id']}"
        if n % 3 == 2:
            body = {"reason": "Not now.", "reason_code": "other"}
            response = await client.post(f"{url}/reject", json=body, headers=approver)
        else:
            response = await client.post(f"{url}/approve", headers=approver)
        assert response.status_code == 200, response.text
        ids.append(ticket["id"])
    return ids


async def listed(
    client: httpx.AsyncClient, user: Headers, **params: Any
) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/notifications", params=query, headers=user)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_own_notifications_newest_first_in_pages(
    client: httpx.AsyncClient, login: Login, runtime: Runtime
) -> None:
    alice, bob = await login("alice"), await login("bob")
    approver = await login("carol", "approver")
    alice_tickets = await decided(client, alice, approver, 5)
    bob_tickets = await decided(client, bob, approver, 1)
    await drain(runtime.dispatcher)

    pages = await listed(client, alice, limit=2)
    assert [len(p) for p in pages] == [2, 2, 1]
    items = [n for p in pages for n in p]
    assert [n["ticket_id"] for n in items] == alice_tickets[::-1]
    kinds = ["approved", "approved", "rejected", "approved", "approved"]  # n=4 down to 0
    assert [n["kind"] for n in items] == kinds
    assert all(n["read_at"] is None for n in items)
    assert "rejected your ticket: Not now." in items[2]["text"]
    [[bobs]] = await listed(client, bob)
    assert bobs["ticket_id"] == bob_tickets[0]
    assert bob_tickets[0] not in {n["ticket_id"] for n in items}


async def test_mark_read_and_unread_filter(
    client: httpx.AsyncClient, login: Login, runtime: Runtime
) -> None:
    alice = await login("alice")
    approver = await login("carol", "approver")
    tickets = await decided(client, alice, approver, 3)
    await drain(runtime.dispatcher)
    [items] = await listed(client, alice)
    newest = items[0]

    response = await client.post(f"/notifications/{newest['id']}/read", headers=alice)
    assert response.status_code == 200, response.text
    first_read = response.json()["read_at"]
    assert first_read is not None
    assert response.json()["id"] == newest["id"]
    again = await client.post(f"/notifications/{newest['id']}/read", headers=alice)
    assert again.status_code == 200
    assert again.json()["read_at"] == first_read

    [unread] = await listed(client, alice, unread="true")
    assert [n["ticket_id"] for n in unread] == tickets[:2][::-1]

    response = await client.post("/notifications/read-all", headers=alice)
    assert response.status_code == 200, response.text
    assert response.json() == {"marked": 2}
    assert await listed(client, alice, unread="true") == [[]]
    [everything] = await listed(client, alice)
    assert len(everything) == 3
    assert all(n["read_at"] for n in everything)


async def test_someone_elses_notification_is_not_found(
    client: httpx.AsyncClient, login: Login, runtime: Runtime
) -> None:
    alice, mallory = await login("alice"), await login("mallory")
    approver = await login("carol", "approver")
    await decided(client, alice, approver, 1)
    await drain(runtime.dispatcher)
    [[notification]] = await listed(client, alice)

    response = await client.post(f"/notifications/{notification['id']}/read", headers=mallory)
    assert_problem(response, 404, "notification.not_found")
    response = await client.post(f"/notifications/{uuid.uuid4()}/read", headers=alice)
    assert_problem(response, 404, "notification.not_found")
    await client.post("/notifications/read-all", headers=mallory)
    [[still]] = await listed(client, alice)
    assert still["read_at"] is None


async def test_bad_cursor_limit_and_token(client: httpx.AsyncClient, login: Login) -> None:
    alice = await login("alice")
    for params in ({"cursor": "bm90LWEtY3Vyc29y"}, {"limit": 0}, {"limit": 101}):
        response = await client.get("/notifications", params=params, headers=alice)
        assert_problem(response, 422)
    assert_problem(await client.get("/notifications"), 401)
    assert_problem(await client.post("/notifications/read-all"), 401)
