"""The hot routes' answers, errors included: statuses, problem codes and the headers a
client reads (ETag, Location), for reads and commands well-formed or not."""

from typing import Any

import httpx

from tests.e2e.conftest import Login
from tests.e2e.http_helpers import Headers, approved_ticket, create_ticket, if_match
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.drain import drain

PROBLEM = "application/problem+json"


def _code(response: httpx.Response) -> str | None:
    """The problem's code, or None for a success; a problem must be problem+json."""
    if response.status_code < 400:
        assert response.headers["content-type"] == "application/json", response.text
        return None
    assert response.headers["content-type"] == PROBLEM, response.text
    body = response.json()
    assert body["status"] == response.status_code
    code: str = body["code"]
    return code


async def test_reads(client: httpx.AsyncClient, login: Login, runtime: Runtime) -> None:
    author = await login("hot-author")
    approver = await login("hot-approver", "approver")
    ticket = await approved_ticket(client, author, approver)
    for n in range(3):
        await create_ticket(client, author, title=f"Hot {n}", description="-")
    await drain(runtime.dispatcher)
    first = await client.get("/tickets", params={"limit": 2}, headers=approver)
    cursor = first.json()["next_cursor"]
    reads: list[tuple[str, Headers, int, str | None]] = [
        (f"/tickets/{ticket['id']}", approver, 200, None),
        (f"/tickets/{ticket['id']}?min_version=3", author, 200, None),
        (f"/tickets/{ticket['id']}?min_version=0", author, 422, "request.invalid"),
        ("/tickets/00000000-0000-0000-0000-000000000000", approver, 404, "ticket.not_found"),
        ("/tickets/not-a-uuid", approver, 422, "request.invalid"),
        ("/tickets?limit=2", approver, 200, None),
        (f"/tickets?limit=2&cursor={cursor}", approver, 200, None),
        ("/tickets?status=approved&sort=-updated_at&limit=5", author, 200, None),
        ("/tickets?q=hot&author=nobody", approver, 200, None),
        ("/tickets?limit=0", approver, 422, "request.invalid"),
        ("/tickets?limit=2&limit=3", approver, 200, None),
        ("/tickets?status=unknown&sort=sideways", approver, 422, "request.invalid"),
        ("/tickets?cursor=not-a-cursor", approver, 422, "request.invalid"),
        ("/tickets/stats", author, 200, None),
        ("/tickets", {"Authorization": "Bearer not-a-token"}, 401, "auth.invalid_token"),
        ("/tickets", {}, 401, "auth.missing_token"),
    ]
    answers = []
    for url, headers, _, _ in reads:
        response = await client.get(url, headers=headers)
        answers.append((url, response.status_code, _code(response)))
    assert answers == [(url, status, code) for url, _, status, code in reads]
    details = await client.get(f"/tickets/{ticket['id']}", headers=approver)
    assert details.headers["etag"] == '"3"'
    assert details.json()["status"] == "approved"
    assert (await client.get("/tickets?limit=2&limit=3", headers=approver)).json()["items"]


async def test_refused_commands(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("hot-writer")
    draft = await create_ticket(client, author)
    url = f"/tickets/{draft['id']}"
    json_type = {**author, "Content-Type": "application/json"}
    refused: list[tuple[str, str, dict[str, Any], int, str]] = [
        (
            "POST",
            "/tickets",
            {"json": {"title": "x", "unknown": 1}, "headers": author},
            422,
            "request.invalid",
        ),
        ("POST", "/tickets", {"json": {"title": 5}, "headers": author}, 422, "request.invalid"),
        ("POST", "/tickets", {"content": b"{", "headers": json_type}, 422, "request.invalid"),
        ("POST", "/tickets", {"content": b"[]", "headers": json_type}, 422, "request.invalid"),
        ("POST", "/tickets", {"content": b"null", "headers": json_type}, 422, "request.invalid"),
        (
            "POST",
            "/tickets",
            {"content": b"{}", "headers": {**author, "Content-Type": "text/x"}},
            422,
            "request.invalid",
        ),
        (
            "POST",
            "/tickets",
            {"content": b"[" * 100_000, "headers": json_type},
            400,
            "request.too_deep",
        ),
        ("POST", "/tickets", {"json": {"title": "x"}}, 401, "auth.missing_token"),
        ("POST", f"{url}/submit", {"json": {"any": 1}, "headers": author}, 422, "request.invalid"),
        (
            "POST",
            f"{url}/submit",
            {"content": b"null", "headers": json_type},
            422,
            "request.invalid",
        ),
        (
            "POST",
            f"{url}/submit",
            {"headers": {**author, **if_match(7)}},
            412,
            "ticket.version_mismatch",
        ),
        ("POST", f"{url}/submit", {"headers": {**author, "If-Match": "7"}}, 422, "request.invalid"),
        (
            "POST",
            f"{url}/submit",
            {"headers": {**author, "Idempotency-Key": "a b"}},
            422,
            "request.invalid",
        ),
        ("POST", f"{url}/approve", {"headers": author}, 403, "auth.forbidden"),
        ("POST", f"{url}/reopen", {"headers": author}, 409, "ticket.invalid_transition"),
        ("POST", f"{url}/reject", {"headers": author}, 422, "request.invalid"),
        (
            "POST",
            f"{url}/reject",
            {"json": {"reason": "no", "reason_code": "?"}, "headers": author},
            422,
            "request.invalid",
        ),
        ("POST", "/tickets/not-a-uuid/submit", {"headers": author}, 422, "request.invalid"),
        ("PATCH", url, {"content": b"null", "headers": json_type}, 422, "request.invalid"),
        ("POST", f"{url}/comments", {"json": {}, "headers": author}, 422, "request.invalid"),
    ]
    answers = []
    for method, path, options, _, _ in refused:
        response = await client.request(method, path, **options)
        answers.append((method, path, response.status_code, _code(response)))
    assert answers == [(m, p, status, code) for m, p, _, status, code in refused]


async def test_accepted_commands(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("hot-creator")
    approver = await login("hot-decider", "approver")
    created = await client.post(
        "/tickets",
        content=b'{"title": "Same", "description": "either way"}',
        headers={**author, "Content-Type": "application/json; charset=utf-8"},
    )
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert created.headers["location"] == f"/tickets/{ticket['id']}"
    assert created.headers["etag"] == '"1"'
    assert created.headers["content-type"] == "application/json"
    assert (ticket["title"], ticket["description"], ticket["status"]) == (
        "Same",
        "either way",
        "draft",
    )
    url = f"/tickets/{ticket['id']}"
    key = {"Idempotency-Key": "hot-submit"}
    submitted = await client.post(f"{url}/submit", headers={**author, **if_match(1), **key})
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["version"] == 2
    assert submitted.headers["etag"] == '"2"'
    assert "idempotent-replayed" not in submitted.headers
    again = await client.post(f"{url}/submit", headers={**author, **if_match(1), **key})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == submitted.json()
    approved = await client.post(f"{url}/approve", headers=approver)
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    comment = await client.post(f"{url}/comments", json={"body": "fine"}, headers=author)
    assert comment.status_code == 201, comment.text
    assert comment.headers["etag"] == '"4"'
    assert comment.json()["body"] == "fine"
    edited = await client.patch(url, json={"title": "late"}, headers=author)
    assert (edited.status_code, _code(edited)) == (409, "ticket.not_editable")
