"""Object-level authorization on the read side: a requester sees only their own
tickets, whatever the filter or cursor; approvers and admins see all. Malformed query
parameters are 422 problems, never 500s."""

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Login
from tests.e2e.http_helpers import Headers, assert_problem, claims_of, create_ticket
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.drain import drain

SORTS = ["created_at", "-created_at", "updated_at", "-updated_at"]


def cursor(payload: Any) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass
class World:
    tag: str
    a: Headers
    b: Headers
    approver: Headers
    admin: Headers
    a_submitted: dict[str, Any]
    a_draft: dict[str, Any]
    b_draft: dict[str, Any]

    @property
    def a_ids(self) -> set[str]:
        return {self.a_submitted["id"], self.a_draft["id"]}


async def token(client: httpx.AsyncClient, name: str, role: str) -> Headers:
    username = f"{name}-{uuid.uuid4().hex[:8]}"
    response = await client.post("/auth/token", json={"username": username, "role": role})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, runtime: Runtime) -> World:
    """Requester A has a submitted ticket (commented) and a draft, requester B a draft;
    all three titles share a unique word. The tests only read."""
    tag = f"vis{uuid.uuid4().hex[:10]}"
    a, b = await token(client, "owner", "requester"), await token(client, "intruder", "requester")
    approver = await token(client, "checker", "approver")
    admin = await token(client, "root", "admin")
    submitted = await create_ticket(client, a, title=f"Secret {tag} plan", description="A's")
    url = f"/tickets/{submitted['id']}"
    comment = await client.post(f"{url}/comments", json={"body": "private"}, headers=a)
    assert comment.status_code == 201, comment.text
    submit = await client.post(f"{url}/submit", headers=a)
    assert submit.status_code == 200, submit.text
    a_draft = await create_ticket(client, a, title=f"Secret {tag} draft", description="A's")
    b_draft = await create_ticket(client, b, title=f"Public {tag} note", description="B's")
    await drain(runtime.dispatcher)
    return World(tag, a, b, approver, admin, submit.json(), a_draft, b_draft)


async def ids_of(client: httpx.AsyncClient, headers: Headers, **params: Any) -> list[str]:
    response = await client.get("/tickets", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_another_requesters_ticket_is_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    url = f"/tickets/{world.a_submitted['id']}"
    mine = await client.get(url, headers=world.a)
    assert mine.status_code == 200, mine.text
    assert mine.json()["version"] == 3
    assert [c["body"] for c in mine.json()["comments"]] == ["private"]
    unknown = uuid.uuid4()
    missing = assert_problem(await client.get(f"/tickets/{unknown}", headers=world.b), 404)

    for params in ({}, {"min_version": 1}, {"min_version": 3}):
        response = await client.get(url, params=params, headers=world.b)
        body = assert_problem(response, 404)
        assert "private" not in response.text
        assert "Secret" not in response.text
        same_as_missing = {k: str(v).replace(str(unknown), "ID") for k, v in missing.items()}
        hidden = {k: str(v).replace(world.a_submitted["id"], "ID") for k, v in body.items()}
        assert hidden == same_as_missing, "a hidden ticket looks exactly like a missing one"


FILTERS: list[tuple[dict[str, Any], bool]] = [  # (filter, does B's own draft match?)
    ({}, True),
    ({"status": "draft"}, True),
    ({"status": "submitted"}, False),
    ({"q": "secret"}, False),
    ({"q": "{tag}"}, True),
    ({"q": "{tag}", "status": "submitted"}, False),
    ({"author": "{a_id}"}, False),
    ({"author": "{a_name}"}, False),
    ({"author": "{a_id}", "status": "submitted"}, False),
    ({"author": "{a_name}", "q": "{tag}"}, False),
    *(({"sort": sort}, True) for sort in SORTS),
]


def fill(params: dict[str, Any], world: World) -> dict[str, Any]:
    a = claims_of(world.a)
    values = {"tag": world.tag, "a_id": a["sub"], "a_name": a["name"]}
    return {k: v.format(**values) for k, v in params.items()}


@pytest.mark.parametrize(
    ("params", "b_matches"), FILTERS, ids=[json.dumps(p) if p else "none" for p, _ in FILTERS]
)
async def test_lists_never_show_another_requesters_tickets(
    client: httpx.AsyncClient, world: World, params: dict[str, Any], b_matches: bool
) -> None:
    query = {**fill(params, world), "limit": 100}
    b_id = claims_of(world.b)["sub"]

    seen = await client.get("/tickets", params=query, headers=world.b)

    assert seen.status_code == 200, seen.text
    items = seen.json()["items"]
    assert not world.a_ids & {i["id"] for i in items}
    assert all(i["author"]["id"] == b_id for i in items), items
    assert seen.json()["next_cursor"] is None
    assert [i["id"] for i in items] == ([world.b_draft["id"]] if b_matches else [])


async def test_filters_for_author_a_show_a_s_tickets_to_approvers_and_admins_only(
    client: httpx.AsyncClient, world: World
) -> None:
    a = claims_of(world.a)
    for viewer in (world.approver, world.admin):
        assert set(await ids_of(client, viewer, author=a["sub"])) == world.a_ids
        assert set(await ids_of(client, viewer, author=a["name"])) == world.a_ids
        tagged = set(await ids_of(client, viewer, q=world.tag))
        assert tagged == {*world.a_ids, world.b_draft["id"]}
        submitted = await ids_of(client, viewer, q=world.tag, status="submitted")
        assert submitted == [world.a_submitted["id"]]
        details = await client.get(f"/tickets/{world.a_submitted['id']}", headers=viewer)
        assert details.status_code == 200, details.text
        assert details.json()["author"] == {"id": a["sub"], "name": a["name"]}
        assert [c["body"] for c in details.json()["comments"]] == ["private"]
    assert await ids_of(client, world.b, author=a["sub"]) == []
    assert await ids_of(client, world.b, author=a["name"]) == []
    assert await ids_of(client, world.a, q=world.tag, sort="created_at") == [
        world.a_submitted["id"],
        world.a_draft["id"],
    ]


async def test_stats_count_only_the_requesters_own_tickets(
    client: httpx.AsyncClient, world: World, runtime: Runtime
) -> None:
    b_stats = await client.get("/tickets/stats", headers=world.b)
    a_stats = await client.get("/tickets/stats", headers=world.a)

    assert b_stats.status_code == a_stats.status_code == 200
    zero = {"draft": 0, "submitted": 0, "approved": 0, "rejected": 0}
    assert b_stats.json() == {"counts": {**zero, "draft": 1}, "total": 1}
    assert a_stats.json() == {"counts": {**zero, "draft": 1, "submitted": 1}, "total": 2}
    # The session's database holds other tests' tickets too: approvers and admins
    # count every ticket the read model lists, exactly.
    rows = await runtime.pools.read.fetch(
        "SELECT status, count(*) AS n FROM read.ticket_list GROUP BY status"
    )
    listed = {**zero, **{r["status"]: r["n"] for r in rows}}
    assert listed["draft"] >= 2, "the world's drafts are there"
    assert listed["submitted"] >= 1, "the world's submitted ticket is there"
    for viewer in (world.approver, world.admin):
        everyone = await client.get("/tickets/stats", headers=viewer)
        assert everyone.json() == {"counts": listed, "total": sum(listed.values())}


@pytest.mark.parametrize("sort", SORTS)
async def test_a_crafted_cursor_never_reveals_another_requesters_ticket(
    client: httpx.AsyncClient, world: World, sort: str
) -> None:
    a_ticket = world.a_submitted
    times = [
        a_ticket["created_at"],
        a_ticket["updated_at"],
        "2000-01-01T00:00:00+00:00",
        "2999-01-01T00:00:00+00:00",
    ]
    b_id = claims_of(world.b)["sub"]
    for at in times:
        for target in world.a_ids:
            token = cursor({"s": sort, "t": at, "i": target})
            for extra in ({}, {"q": world.tag}, {"author": claims_of(world.a)["sub"]}):
                response = await client.get(
                    "/tickets", params={"sort": sort, "cursor": token, **extra}, headers=world.b
                )
                assert response.status_code == 200, response.text
                items = response.json()["items"]
                assert not world.a_ids & {i["id"] for i in items}
                assert all(i["author"]["id"] == b_id for i in items)


def _naive_cursor() -> str:
    return cursor({"s": "-created_at", "t": "2024-01-01T00:00:00", "i": str(uuid.uuid4())})


INVALID: list[tuple[str, dict[str, Any]]] = [
    ("not base64", {"cursor": "%%%not-a-cursor%%%"}),
    ("not json", {"cursor": cursor(b"not json at all")}),
    ("not utf-8", {"cursor": cursor(b"\xff\xfe\xfd")}),
    ("json list", {"cursor": cursor([1, 2, 3])}),
    ("json string", {"cursor": cursor("created_at")}),
    ("missing keys", {"cursor": cursor({"s": "-created_at"})}),
    (
        "bad time",
        {"cursor": cursor({"s": "-created_at", "t": "yesterday", "i": str(uuid.uuid4())})},
    ),
    (
        "time as number",
        {"cursor": cursor({"s": "-created_at", "t": 1700000000, "i": str(uuid.uuid4())})},
    ),
    ("naive time", {"cursor": _naive_cursor()}),
    (
        "bad id",
        {"cursor": cursor({"s": "-created_at", "t": "2024-01-01T00:00:00+00:00", "i": "x"})},
    ),
    (
        "null id",
        {"cursor": cursor({"s": "-created_at", "t": "2024-01-01T00:00:00+00:00", "i": None})},
    ),
    (
        "id as number",
        {"cursor": cursor({"s": "-created_at", "t": "2024-01-01T00:00:00+00:00", "i": 7})},
    ),
    (
        "id as list",
        {"cursor": cursor({"s": "-created_at", "t": "2024-01-01T00:00:00+00:00", "i": [1]})},
    ),
    (
        "time before year 1 in UTC",
        {
            "cursor": cursor(
                {"s": "-created_at", "t": "0001-01-01T00:00:00+05:00", "i": str(uuid.uuid4())}
            )
        },
    ),
    (
        "time after year 9999 in UTC",
        {
            "cursor": cursor(
                {"s": "-created_at", "t": "9999-12-31T23:00:00-05:00", "i": str(uuid.uuid4())}
            )
        },
    ),
    (
        "another sort's cursor",
        {
            "sort": "created_at",
            "cursor": cursor(
                {"s": "-created_at", "t": "2024-01-01T00:00:00+00:00", "i": str(uuid.uuid4())}
            ),
        },
    ),
    (
        "default sort, other cursor",
        {
            "cursor": cursor(
                {"s": "updated_at", "t": "2024-01-01T00:00:00+00:00", "i": str(uuid.uuid4())}
            )
        },
    ),
    ("unknown sort", {"sort": "title"}),
    ("sort without sign", {"sort": "+created_at"}),
    ("unknown status", {"status": "closed"}),
    ("status in capitals", {"status": "DRAFT"}),
    ("limit 0", {"limit": 0}),
    ("limit 101", {"limit": 101}),
    ("limit negative", {"limit": -1}),
    ("limit not a number", {"limit": "ten"}),
    ("NUL in author", {"author": "\x00"}),
    ("NUL inside author", {"author": "ali\x00ce"}),
    ("NUL in q", {"q": "lap\x00top"}),
    ("NUL in cursor", {"cursor": "\x00"}),
    ("author too long", {"author": "a" * 201}),
    ("q too long", {"q": "word " * 41}),
    ("cursor too long", {"cursor": "c" * 501}),
]


@pytest.mark.parametrize(("case", "params"), INVALID, ids=[c for c, _ in INVALID])
async def test_invalid_list_parameters_are_422_problems(
    client: httpx.AsyncClient, login: Login, case: str, params: dict[str, Any]
) -> None:
    me = await login("picky", "requester")

    response = await client.get("/tickets", params=params, headers=me)

    assert_problem(response, 422, "request.invalid")


async def test_a_cursor_from_another_sort_is_rejected_even_when_real(
    client: httpx.AsyncClient, world: World
) -> None:
    first = await client.get("/tickets", params={"limit": 1, "sort": "created_at"}, headers=world.a)
    token = first.json()["next_cursor"]
    assert token is not None
    same = await client.get(
        "/tickets", params={"limit": 1, "sort": "created_at", "cursor": token}, headers=world.a
    )
    assert same.status_code == 200, same.text

    for sort in ("-created_at", "updated_at", "-updated_at"):
        response = await client.get(
            "/tickets", params={"limit": 1, "sort": sort, "cursor": token}, headers=world.a
        )
        assert_problem(response, 422, "request.invalid")


@pytest.mark.parametrize("min_version", [0, -1, "x", 2**31])
async def test_invalid_min_version_is_a_422_problem(
    client: httpx.AsyncClient, world: World, min_version: object
) -> None:
    response = await client.get(
        f"/tickets/{world.a_draft['id']}", params={"min_version": min_version}, headers=world.a
    )
    assert_problem(response, 422, "request.invalid")
