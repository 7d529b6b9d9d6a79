"""Malformed requests: unknown fields, limits, bad JSON, body size, unknown routes."""

import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.e2e.conftest import Login
from tests.e2e.http_helpers import (
    Headers,
    assert_etag,
    assert_problem,
    create_ticket,
    if_match,
    no_server_errors,
    submitted_ticket,
)

MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def _never_a_500(client: httpx.AsyncClient) -> Iterator[None]:
    with no_server_errors(client):
        yield


async def _two_tickets(client: httpx.AsyncClient, login: Login) -> tuple[Headers, str, str]:
    """(approver, id of a draft by a requester, id of a submitted ticket by the same)."""
    author = await login("author", "requester")
    approver = await login("approver", "approver")
    draft = await create_ticket(client, author)
    submitted = await submitted_ticket(client, author)
    return approver, draft["id"], submitted["id"]


# -- required values ------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
async def test_reject_with_blank_reason(
    client: httpx.AsyncClient, login: Login, reason: str
) -> None:
    approver, _, ticket_id = await _two_tickets(client, login)
    url = f"/tickets/{ticket_id}"
    response = await client.post(f"{url}/reject", json={"reason": reason}, headers=approver)
    assert_problem(response, 422, "ticket.reason_required")
    # Still submitted, still version 2.
    approved = await client.post(f"{url}/approve", headers={**approver, **if_match(2)})
    assert_etag(approved, 3)


@pytest.mark.parametrize("body", [None, {}, {"reason": None}, {"reason": 5}])
async def test_reject_without_a_reason(
    client: httpx.AsyncClient, login: Login, body: dict | None
) -> None:
    approver, _, ticket_id = await _two_tickets(client, login)
    response = await client.post(f"/tickets/{ticket_id}/reject", json=body, headers=approver)
    assert_problem(response, 422, "request.invalid")


@pytest.mark.parametrize("text", ["", "  ", "\n"])
async def test_comment_with_blank_body(client: httpx.AsyncClient, login: Login, text: str) -> None:
    author = await login("blank", "requester")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}/comments"
    response = await client.post(url, json={"body": text}, headers=author)
    assert_problem(response, 422, "comment.body_required")
    missing = await client.post(url, json={}, headers=author)
    assert_problem(missing, 422, "request.invalid")


# -- unknown fields -------------------------------------------------------------------


async def test_unknown_field_in_any_body(client: httpx.AsyncClient, login: Login) -> None:
    approver, draft_id, submitted_id = await _two_tickets(client, login)
    requester = await login("creator", "requester")
    draft = await create_ticket(client, requester)
    draft_url = f"/tickets/{draft['id']}"
    submitted_url = f"/tickets/{submitted_id}"

    requests = [
        ("POST", "/tickets", {"title": "x", "priority": "high"}, requester),
        ("PATCH", draft_url, {"title": "x", "status": "approved"}, requester),
        ("POST", f"{draft_url}/submit", {"force": True}, requester),
        ("POST", f"{submitted_url}/approve", {"note": "ok"}, approver),
        ("POST", f"{submitted_url}/reject", {"reason": "no", "extra": 1}, approver),
        ("POST", f"{draft_url}/reopen", {"x": 1}, requester),
        ("POST", f"{draft_url}/comments", {"body": "hi", "author": "me"}, requester),
        ("POST", f"/tickets/{draft_id}/comments", {"body": "hi", "pinned": True}, approver),
    ]
    for method, url, body, headers in requests:
        response = await client.request(method, url, json=body, headers=headers)
        problem = assert_problem(response, 422, "request.invalid")
        assert problem.get("errors"), problem

    # None of them did anything: both tickets are where they were.
    edit = await client.patch(draft_url, json={"title": "y"}, headers={**requester, **if_match(1)})
    assert_etag(edit, 2)
    approve = await client.post(f"{submitted_url}/approve", headers={**approver, **if_match(2)})
    assert_etag(approve, 3)


@pytest.mark.parametrize("action", ["submit", "approve", "reopen"])
async def test_body_on_a_command_without_parameters(
    client: httpx.AsyncClient, login: Login, action: str
) -> None:
    author = await login("nobody", "requester")
    ticket = await create_ticket(client, author)
    response = await client.post(
        f"/tickets/{ticket['id']}/{action}", json={"comment": "please"}, headers=author
    )
    assert_problem(response, 422, "request.invalid")


async def test_empty_object_on_submit_is_accepted(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("emptybody", "requester")
    ticket = await create_ticket(client, author)
    response = await client.post(f"/tickets/{ticket['id']}/submit", json={}, headers=author)
    assert response.status_code == 200, response.text
    assert_etag(response, 2)


@pytest.mark.parametrize("path", ["", "/{id}/submit", "/{id}/approve", "/{id}/reopen"])
async def test_a_null_body_is_refused_where_the_body_is_optional(
    client: httpx.AsyncClient, login: Login, path: str
) -> None:
    """The document allows an object or no body; JSON null is neither (it used to be
    read as "no body"). Nothing is created or changed."""
    author = await login("nullbody", "requester")
    ticket = await create_ticket(client, author)
    url = "/tickets" + path.format(id=ticket["id"])
    headers = {**author, "Content-Type": "application/json"}
    response = await client.post(url, content=b" null ", headers=headers)
    assert_problem(response, 422, "request.invalid")
    unchanged = await client.patch(
        f"/tickets/{ticket['id']}", json={"title": "y"}, headers={**author, **if_match(1)}
    )
    assert_etag(unchanged, 2)


async def test_a_cursor_outside_its_alphabet_is_refused(
    client: httpx.AsyncClient, login: Login
) -> None:
    """The document gives a cursor's alphabet (base64url); the server enforces it."""
    author = await login("cursor", "requester")
    response = await client.get("/tickets", params={"cursor": "a+b/c="}, headers=author)
    body = assert_problem(response, 422, "request.invalid")
    assert body["errors"][0]["field"] == "query.cursor", body


# -- length limits --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"), [("title", 200), ("description", 10_000)], ids=["title", "description"]
)
async def test_ticket_field_limits(
    client: httpx.AsyncClient, login: Login, field: str, limit: int
) -> None:
    author = await login("limits", "requester")
    too_long = await client.post("/tickets", json={field: "x" * (limit + 1)}, headers=author)
    assert_problem(too_long, 422)
    at_limit = await client.post("/tickets", json={field: "x" * limit}, headers=author)
    assert at_limit.status_code == 201, at_limit.text
    assert len(at_limit.json()[field]) == limit

    url = f"/tickets/{at_limit.json()['id']}"
    edit = await client.patch(url, json={field: "y" * (limit + 1)}, headers=author)
    assert_problem(edit, 422)
    unchanged = await client.patch(url, json={}, headers={**author, **if_match(1)})
    assert unchanged.status_code == 200, unchanged.text
    assert unchanged.json()[field] == "x" * limit


async def test_comment_and_reason_limits(client: httpx.AsyncClient, login: Login) -> None:
    approver, draft_id, submitted_id = await _two_tickets(client, login)
    comments = f"/tickets/{draft_id}/comments"
    too_long = await client.post(comments, json={"body": "c" * 5_001}, headers=approver)
    assert_problem(too_long, 422)
    at_limit = await client.post(comments, json={"body": "c" * 5_000}, headers=approver)
    assert at_limit.status_code == 201, at_limit.text

    reject = f"/tickets/{submitted_id}/reject"
    long_reason = await client.post(reject, json={"reason": "r" * 5_001}, headers=approver)
    assert_problem(long_reason, 422)
    ok = await client.post(reject, json={"reason": "r" * 5_000}, headers=approver)
    assert ok.status_code == 200, ok.text


# -- malformed JSON and values --------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b'{"title": ', b"not json", b'{"title": "x",}', b"\xff\xfe"],
    ids=["truncated", "text", "trailing-comma", "not-utf8"],
)
async def test_invalid_json(client: httpx.AsyncClient, login: Login, raw: bytes) -> None:
    author = await login("badjson", "requester")
    headers = {**author, "Content-Type": "application/json"}
    response = await client.post("/tickets", content=raw, headers=headers)
    assert_problem(response, 422, "request.invalid")


@pytest.mark.parametrize(
    "body", [[], "title", 42, {"title": 5}, {"title": ["a"]}, {"description": {"a": 1}}]
)
async def test_wrong_json_shapes(client: httpx.AsyncClient, login: Login, body: object) -> None:
    author = await login("shape", "requester")
    response = await client.post("/tickets", json=body, headers=author)
    assert_problem(response, 422, "request.invalid")


@pytest.mark.parametrize("text", ["nul\u0000byte", "lone \ud800 surrogate"], ids=["nul", "surr"])
@pytest.mark.parametrize("target", ["create", "edit", "comment", "reject"])
async def test_unstorable_text_is_a_client_error(
    client: httpx.AsyncClient, login: Login, text: str, target: str
) -> None:
    """PostgreSQL text cannot hold NUL, nor UTF-8 a lone surrogate: 422, never a 500."""
    approver, draft_id, submitted_id = await _two_tickets(client, login)
    author = await login("nul", "requester")
    own = await create_ticket(client, author)
    method, url, field, headers = {
        "create": ("POST", "/tickets", "title", author),
        "edit": ("PATCH", f"/tickets/{own['id']}", "description", author),
        "comment": ("POST", f"/tickets/{draft_id}/comments", "body", approver),
        "reject": ("POST", f"/tickets/{submitted_id}/reject", "reason", approver),
    }[target]
    raw = json.dumps({field: text}).encode()  # escaped: the JSON itself is valid
    response = await client.request(
        method, url, content=raw, headers={**headers, "Content-Type": "application/json"}
    )
    assert_problem(response, 422)


# -- body size ------------------------------------------------------------------------


def _big_json(size: int) -> bytes:
    return json.dumps({"description": "x" * size}).encode()


async def test_body_over_one_mib_with_content_length(
    client: httpx.AsyncClient, login: Login
) -> None:
    author = await login("big", "requester")
    raw = _big_json(MIB + 10)
    assert len(raw) > MIB
    headers = {**author, "Content-Type": "application/json"}
    response = await client.post("/tickets", content=raw, headers=headers)
    assert_problem(response, 413, "request.too_large")


async def test_body_over_one_mib_streamed(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("stream", "requester")
    ticket = await create_ticket(client, author)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"body": "'
        for _ in range(17):
            yield b"y" * 65_536
        yield b'"}'

    headers = {**author, "Content-Type": "application/json"}
    url = f"/tickets/{ticket['id']}/comments"
    response = await client.post(url, content=chunks(), headers=headers)
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_problem(response, 413, "request.too_large")


async def test_body_over_one_mib_with_a_lying_content_length(
    client: httpx.AsyncClient, login: Login
) -> None:
    author = await login("liar", "requester")
    raw = _big_json(MIB + 10)
    headers = {**author, "Content-Type": "application/json", "Content-Length": "20"}
    response = await client.post("/tickets", content=raw, headers=headers)
    assert_problem(response, 413, "request.too_large")


async def test_body_just_under_the_limit_is_read(client: httpx.AsyncClient, login: Login) -> None:
    """Under 1 MiB the body reaches validation (here: a too-long description, 422)."""
    author = await login("under", "requester")
    raw = _big_json(MIB - 100)
    assert len(raw) <= MIB
    headers = {**author, "Content-Type": "application/json"}
    response = await client.post("/tickets", content=raw, headers=headers)
    assert_problem(response, 422)


# -- routing --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/tickets/x/y/z", "/api/tickets"])
async def test_unknown_route(client: httpx.AsyncClient, login: Login, path: str) -> None:
    user = await login("lost", "requester")
    assert_problem(await client.get(path), 404, "route.not_found")
    assert_problem(await client.post(path, json={}, headers=user), 404, "route.not_found")


async def test_method_not_allowed(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("delete", "requester")
    ticket = await create_ticket(client, author)
    response = await client.delete(f"/tickets/{ticket['id']}", headers=author)
    assert_problem(response, 405, "request.method_not_allowed")


@pytest.mark.parametrize(
    "key",
    [b"has space", b"x" * 256, b"tab\tkey", "\u00fcn\u00efcode".encode()],
    ids=["space", "too-long", "tab", "non-ascii"],
)
async def test_malformed_idempotency_key(
    client: httpx.AsyncClient, login: Login, key: bytes
) -> None:
    author = await login("badkey", "requester")
    headers = httpx.Headers(
        [(b"Authorization", author["Authorization"].encode()), (b"Idempotency-Key", key)]
    )
    response = await client.post("/tickets", json={"title": "x"}, headers=headers)
    assert_problem(response, 422, "request.invalid")
