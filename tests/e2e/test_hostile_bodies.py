"""Bodies built to hurt: nested a thousand levels deep, or objects with tens of thousands
of members. Each is refused with a short 400 problem before it is parsed, on every route
that reads a body, with or without a token; a body within the bounds that is wrong gets
a 422 listing at most 20 errors, counting them all."""

import json
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from tests.conftest import settings_for
from tests.e2e.conftest import Login
from tests.e2e.http_helpers import assert_problem, create_ticket, no_server_errors, submitted_ticket
from tickets.api.json_limits import MAX_DEPTH, MAX_MEMBERS
from tickets.bootstrap import build_app

JSON = {"Content-Type": "application/json"}
DEEP = b"[" * 990 + b"]" * 990
DEEP_OBJECT = b'{"title": ' + b'{"a": ' * 990 + b"1" + b"}" * 991
MANY_MEMBERS = json.dumps({f"k{i}": 0 for i in range(80_000)}).encode()


@pytest.fixture(autouse=True)
def _never_a_500(client: httpx.AsyncClient) -> Iterator[None]:
    with no_server_errors(client):
        yield


async def _routes(client: httpx.AsyncClient, login: Login) -> list[tuple[str, str, dict]]:
    """(method, path, headers) of every route that reads a body, with a real ticket."""
    author = await login("author", "requester")
    approver = await login("approver", "approver")
    admin = await login("admin", "admin")
    draft = await create_ticket(client, author)
    submitted = await submitted_ticket(client, author)
    user_id = str(uuid.uuid4())
    return [
        ("POST", "/tickets", {}),  # no token
        ("POST", "/tickets", author),
        ("PATCH", f"/tickets/{draft['id']}", author),
        ("POST", f"/tickets/{draft['id']}/comments", author),
        ("POST", f"/tickets/{submitted['id']}/reject", approver),
        ("POST", f"/tickets/{draft['id']}/submit", author),
        ("POST", "/auth/token", {}),
        ("PUT", f"/admin/users/{user_id}/role", admin),
    ]


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
async def test_a_body_nested_990_deep_is_refused_on_every_route(
    client: httpx.AsyncClient, login: Login, body: bytes
) -> None:
    for method, path, headers in await _routes(client, login):
        response = await client.request(method, path, content=body, headers={**JSON, **headers})
        problem = assert_problem(response, 400, "request.too_deep")
        assert str(MAX_DEPTH) in problem["detail"], (method, path)


async def test_a_body_at_the_depth_bound_is_parsed(client: httpx.AsyncClient) -> None:
    at_bound = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    response = await client.post("/auth/token", content=at_bound, headers=JSON)
    assert_problem(response, 422, "request.invalid")


async def test_brackets_inside_strings_do_not_count(client: httpx.AsyncClient) -> None:
    body = json.dumps({"username": "[" * 5000 + '{:"\\"', "role": "requester"}).encode()
    response = await client.post("/auth/token", content=body, headers=JSON)
    problem = assert_problem(response, 422, "request.invalid")
    assert [e["field"] for e in problem["errors"]] == ["body.username"]


async def test_an_object_with_80000_members_is_refused_before_validation(
    client: httpx.AsyncClient, login: Login
) -> None:
    for method, path, headers in await _routes(client, login):
        response = await client.request(
            method, path, content=MANY_MEMBERS, headers={**JSON, **headers}
        )
        problem = assert_problem(response, 400, "request.too_many_members")
        assert len(response.content) < 1000, (method, path)
        assert str(MAX_MEMBERS) in problem["detail"]


async def test_a_422_lists_the_first_20_errors_and_counts_them_all(
    client: httpx.AsyncClient,
) -> None:
    body = {f"unknown{i}": i for i in range(MAX_MEMBERS)}
    response = await client.post("/auth/token", json=body)
    problem = assert_problem(response, 422, "request.invalid")
    assert len(problem["errors"]) == 20
    assert problem["error_count"] == MAX_MEMBERS + 2  # and username, role missing
    assert f"{MAX_MEMBERS + 2} errors" in problem["detail"]


async def test_a_huge_unknown_member_name_is_not_echoed_in_full(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/token", json={"x" * 500_000: 1})
    problem = assert_problem(response, 422, "request.invalid")
    assert max(len(e["field"]) for e in problem["errors"]) <= 200
    assert len(response.content) < 2000


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def no_dev_login(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(settings_for(database_url, dev_login=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tickets") as http:
            with no_server_errors(http):
                yield http


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"username": "alice", "role": "admin"}).encode(),
        b"",
        b"{not json",
        DEEP,
        MANY_MEMBERS,
        json.dumps({f"unknown{i}": i for i in range(50)}).encode(),
    ],
    ids=["valid", "empty", "malformed", "deep", "many-members", "unknown-members"],
)
async def test_a_disabled_dev_login_answers_the_same_404_whatever_the_body(
    no_dev_login: httpx.AsyncClient, body: bytes
) -> None:
    response = await no_dev_login.post("/auth/token", content=body, headers=JSON)
    problem = assert_problem(response, 404, "auth.dev_login_disabled")
    assert "TICKETS_DEV_LOGIN" in problem["detail"]
    assert problem.get("errors") is None
