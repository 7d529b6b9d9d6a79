"""The hot routes answer the same whether a request takes DirectRoute's direct way or
FastAPI's own handler: the same statuses, headers and bodies, errors included."""

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Login
from tests.e2e.http_helpers import Headers, approved_ticket, create_ticket, if_match
from tickets.api.direct_route import DirectRoute
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.drain import drain

Answer = tuple[int, dict[str, str], Any]
# Headers that differ between any two requests.
UNIQUE = {"x-request-id", "date"}


def _answer(response: httpx.Response) -> Answer:
    headers = {k: v for k, v in response.headers.items() if k not in UNIQUE}
    return response.status_code, headers, response.content


async def _both_ways(
    client: httpx.AsyncClient, method: str, url: str, **options: Any
) -> tuple[Answer, Answer]:
    """The answer by the direct way, then by FastAPI's handler, to the same request."""
    direct = _answer(await client.request(method, url, **options))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DirectRoute, "enabled", False)
        general = _answer(await client.request(method, url, **options))
    return direct, general


async def test_reads_answer_alike(
    client: httpx.AsyncClient, login: Login, runtime: Runtime
) -> None:
    author = await login("direct-author")
    approver = await login("direct-approver", "approver")
    ticket = await approved_ticket(client, author, approver)
    for n in range(3):
        await create_ticket(client, author, title=f"Direct {n}", description="-")
    await drain(runtime.dispatcher)
    first = await client.get("/tickets", params={"limit": 2}, headers=approver)
    cursor = first.json()["next_cursor"]
    reads: list[tuple[str, Headers]] = [
        (f"/tickets/{ticket['id']}", approver),
        (f"/tickets/{ticket['id']}?min_version=3", author),
        (f"/tickets/{ticket['id']}?min_version=0", author),
        ("/tickets/00000000-0000-0000-0000-000000000000", approver),
        ("/tickets/not-a-uuid", approver),
        ("/tickets?limit=2", approver),
        (f"/tickets?limit=2&cursor={cursor}", approver),
        ("/tickets?status=approved&sort=-updated_at&limit=5", author),
        ("/tickets?q=direct&author=nobody", approver),
        ("/tickets?limit=0", approver),
        ("/tickets?limit=2&limit=3", approver),
        ("/tickets?status=unknown&sort=sideways", approver),
        ("/tickets?cursor=not-a-cursor", approver),
        ("/tickets/stats", author),
        ("/tickets", {"Authorization": "Bearer not-a-token"}),
        ("/tickets", {}),
    ]
    for url, headers in reads:
        direct, general = await _both_ways(client, "GET", url, headers=headers)
        assert direct == general, url
        assert direct[0] < 500, (url, direct)


async def test_refused_commands_answer_alike(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("direct-writer")
    draft = await create_ticket(client, author)
    url = f"/tickets/{draft['id']}"
    json_type = {**author, "Content-Type": "application/json"}
    refused: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/tickets", {"json": {"title": "x", "unknown": 1}, "headers": author}),
        ("POST", "/tickets", {"json": {"title": 5}, "headers": author}),
        ("POST", "/tickets", {"content": b"{", "headers": json_type}),
        ("POST", "/tickets", {"content": b"[]", "headers": json_type}),
        ("POST", "/tickets", {"content": b"{}", "headers": {**author, "Content-Type": "text/x"}}),
        ("POST", "/tickets", {"json": {"title": "x"}}),
        ("POST", f"{url}/submit", {"json": {"any": 1}, "headers": author}),
        ("POST", f"{url}/submit", {"headers": {**author, **if_match(7)}}),
        ("POST", f"{url}/approve", {"headers": author}),
        ("POST", f"{url}/reject", {"headers": author}),
        (
            "POST",
            f"{url}/reject",
            {"json": {"reason": "no", "reason_code": "?"}, "headers": author},
        ),
        ("POST", "/tickets/not-a-uuid/submit", {"headers": author}),
        ("PATCH", url, {"content": b"null", "headers": json_type}),
        ("POST", f"{url}/comments", {"json": {}, "headers": author}),
    ]
    for method, path, options in refused:
        direct, general = await _both_ways(client, method, path, **options)
        assert direct == general, (method, path, options)
        assert 400 <= direct[0] < 500, (method, path, direct)


async def test_accepted_commands_answer_alike(
    client: httpx.AsyncClient, login: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = await login("direct-creator")
    answers = []
    for enabled in (True, False):
        monkeypatch.setattr(DirectRoute, "enabled", enabled)
        created = await client.post(
            "/tickets",
            content=b'{"title": "Same", "description": "either way"}',
            headers={**author, "Content-Type": "application/json; charset=utf-8"},
        )
        submitted = await client.post(
            f"/tickets/{created.json()['id']}/submit", headers={**author, **if_match(1)}
        )
        answers.append((created, submitted))
    (created, submitted), (created_again, submitted_again) = answers
    for left, right in ((created, created_again), (submitted, submitted_again)):
        assert left.status_code == right.status_code, (left.text, right.text)
        assert set(left.headers) - UNIQUE == set(right.headers) - UNIQUE
        mine, theirs = left.json(), right.json()
        assert set(mine) == set(theirs)
        for key in ("title", "description", "status", "author", "version"):
            assert mine[key] == theirs[key], key
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/tickets/{created.json()['id']}"
    assert submitted.json()["version"] == 2
