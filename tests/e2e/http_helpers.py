"""Small helpers shared by the end-to-end HTTP tests: problem checks and ticket setup."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import jwt

PROBLEM_JSON = "application/problem+json"
Headers = dict[str, str]


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """An RFC 9457 problem with the given status (and code), with every required member."""
    assert response.status_code == status, (response.status_code, response.text)
    content_type = response.headers.get("content-type", "")
    assert content_type.split(";")[0].strip() == PROBLEM_JSON, content_type
    body = response.json()
    for member in ("type", "title", "status", "detail", "code"):
        assert member in body, (member, body)
    assert body["status"] == status, body
    for member in ("type", "title", "detail", "code"):
        assert isinstance(body[member], str), (member, body)
    for member in ("type", "title", "code"):
        assert body[member].strip(), (member, body)
    if code is not None:
        assert body["code"] == code, body
    return body


def assert_etag(response: httpx.Response, version: int) -> None:
    """The body's ``version`` and the ``ETag`` header both name ``version``."""
    assert response.json()["version"] == version, response.text
    assert response.headers.get("etag") == f'"{version}"', response.headers


def if_match(version: int) -> Headers:
    return {"If-Match": f'"{version}"'}


def claims_of(headers: Headers) -> dict[str, Any]:
    """The claims of the bearer token in ``headers``, read without verification."""
    token = headers["Authorization"].removeprefix("Bearer ")
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def create_ticket(
    client: httpx.AsyncClient, author: Headers, **fields: str
) -> dict[str, Any]:
    body = fields or {"title": "A ticket", "description": "Something to do."}
    response = await client.post("/tickets", json=body, headers=author)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


async def submitted_ticket(client: httpx.AsyncClient, author: Headers) -> dict[str, Any]:
    """A ticket at version 2, status submitted."""
    ticket = await create_ticket(client, author)
    response = await client.post(f"/tickets/{ticket['id']}/submit", headers=author)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "submitted"
    submitted: dict[str, Any] = response.json()
    return submitted


async def approved_ticket(
    client: httpx.AsyncClient, author: Headers, approver: Headers
) -> dict[str, Any]:
    """A ticket at version 3, status approved."""
    ticket = await submitted_ticket(client, author)
    response = await client.post(f"/tickets/{ticket['id']}/approve", headers=approver)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"
    approved: dict[str, Any] = response.json()
    return approved


@contextmanager
def no_server_errors(client: httpx.AsyncClient) -> Iterator[list[str]]:
    """Fail if any response seen by ``client`` inside the block is a 5xx."""
    seen: list[str] = []

    async def record(response: httpx.Response) -> None:
        if response.status_code >= 500:
            request = response.request
            seen.append(f"{request.method} {request.url.path} -> {response.status_code}")

    hooks = client.event_hooks["response"]
    hooks.append(record)
    try:
        yield seen
    finally:
        hooks.remove(record)
    assert not seen, f"server errors: {seen}"
