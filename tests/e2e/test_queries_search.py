"""Title search: every word of `q` matches a title word by prefix, case-insensitively,
combined with the other filters."""

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Login
from tests.e2e.http_helpers import Headers, claims_of, create_ticket
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.drain import drain

TITLES = {
    "battery": "Replace laptop battery",
    "bag": "Laptop bag for travel",
    "interns": "LAPTOPS for the new interns",
    "toner": "Printer toner",
    "monitor": "Desktop monitor",
    "cafe": "Café coffee machine",
    "renamed": "Old scanner",
}
SUBMITTED = {"bag", "toner"}


@pytest.fixture(scope="module")
async def library(
    client: httpx.AsyncClient, runtime: Runtime
) -> tuple[Headers, dict[str, str], dict[str, str]]:
    """One author's tickets with the titles above (read only by the tests)."""
    name = f"searcher-{uuid.uuid4().hex[:8]}"
    login = await client.post("/auth/token", json={"username": name, "role": "requester"})
    assert login.status_code == 200, login.text
    author = {"Authorization": f"Bearer {login.json()['access_token']}"}
    ids = {}
    for name, title in TITLES.items():
        ids[name] = (await create_ticket(client, author, title=title, description="-"))["id"]
    for name in SUBMITTED:
        response = await client.post(f"/tickets/{ids[name]}/submit", headers=author)
        assert response.status_code == 200, response.text
    edit = await client.patch(
        f"/tickets/{ids['renamed']}", json={"title": "Flatbed scanner"}, headers=author
    )
    assert edit.status_code == 200, edit.text
    await drain(runtime.dispatcher)
    return author, ids, {v: k for k, v in ids.items()}


CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"q": "lap"}, {"battery", "bag", "interns"}),
    ({"q": "LAPTOP"}, {"battery", "bag", "interns"}),
    ({"q": "Laptops"}, {"interns"}),
    ({"q": "top"}, set()),  # a prefix, not a substring: neither Laptop nor Desktop
    ({"q": "battery LAP"}, {"battery"}),
    ({"q": "travel bag"}, {"bag"}),
    ({"q": "bag battery"}, set()),  # every word must match
    ({"q": "print ton"}, {"toner"}),
    ({"q": "CAFÉ"}, {"cafe"}),
    ({"q": "coffee-machine"}, {"cafe"}),
    ({"q": "lap:* & !("}, {"battery", "bag", "interns"}),  # words only, no tsquery syntax
    ({"q": "'lap' | toner"}, set()),  # no "or": still every word
    ({"q": "lap", "status": "submitted"}, {"bag"}),
    ({"q": "lap", "status": "draft"}, {"battery", "interns"}),
    ({"q": "lap", "status": "approved"}, set()),
    ({"q": "old"}, set()),  # the title before the edit
    ({"q": "flat scan"}, {"renamed"}),
    ({"q": "!!!"}, set()),
]


@pytest.mark.parametrize(("params", "expected"), CASES, ids=[str(p) for p, _ in CASES])
async def test_title_search(
    client: httpx.AsyncClient,
    library: tuple[Headers, dict[str, str], dict[str, str]],
    params: dict[str, Any],
    expected: set[str],
) -> None:
    author, _, names = library
    me = claims_of(author)
    for extra in ({}, {"author": me["sub"]}, {"author": me["name"]}):
        response = await client.get(
            "/tickets", params={**params, **extra, "limit": 100}, headers=author
        )

        assert response.status_code == 200, response.text
        assert {names[i["id"]] for i in response.json()["items"]} == expected


async def test_search_pages_through_matches(
    client: httpx.AsyncClient, library: tuple[Headers, dict[str, str], dict[str, str]]
) -> None:
    author, ids, _ = library
    query = {"q": "laptop", "sort": "created_at", "limit": 2}

    first = await client.get("/tickets", params=query, headers=author)
    cursor = first.json()["next_cursor"]
    second = await client.get("/tickets", params={**query, "cursor": cursor}, headers=author)

    assert [i["id"] for i in first.json()["items"]] == [ids["battery"], ids["bag"]]
    assert [i["id"] for i in second.json()["items"]] == [ids["interns"]]
    assert second.json()["next_cursor"] is None


async def test_search_by_an_approver_combines_with_the_author_filter(
    client: httpx.AsyncClient,
    login: Login,
    library: tuple[Headers, dict[str, str], dict[str, str]],
) -> None:
    author, ids, _ = library
    approver = await login("finder", "approver")
    response = await client.get(
        "/tickets",
        params={"q": "lap", "author": claims_of(author)["sub"], "status": "submitted"},
        headers=approver,
    )
    assert response.status_code == 200, response.text
    assert [i["id"] for i in response.json()["items"]] == [ids["bag"]]
