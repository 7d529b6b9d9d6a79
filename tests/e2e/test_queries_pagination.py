"""Keyset pagination: every ticket exactly once across pages, for every sort, also
while new tickets arrive between page fetches."""

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.e2e.http_helpers import Headers, claims_of, create_ticket, if_match
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.drain import drain

SORTS = ["created_at", "-created_at", "updated_at", "-updated_at"]


async def token(client: httpx.AsyncClient, role: str = "requester") -> Headers:
    name = f"pager-{uuid.uuid4().hex[:8]}"
    response = await client.post("/auth/token", json={"username": name, "role": role})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def tickets_of(client: httpx.AsyncClient, author: Headers, count: int) -> list[str]:
    return [
        (await create_ticket(client, author, title=f"Page ticket {n}", description="-"))["id"]
        for n in range(count)
    ]


async def page(
    client: httpx.AsyncClient, viewer: Headers, cursor: str | None, **params: Any
) -> tuple[list[dict[str, Any]], str | None]:
    query = {**params, **({"cursor": cursor} if cursor else {})}
    response = await client.get("/tickets", params=query, headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["items"], body["next_cursor"]


async def all_pages(
    client: httpx.AsyncClient, viewer: Headers, **params: Any
) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        items, cursor = await page(client, viewer, cursor, **params)
        pages.append(items)
        if cursor is None:
            return pages
        assert len(pages) < 50, "pagination does not end"


def key(sort: str, item: dict[str, Any]) -> tuple[datetime, uuid.UUID]:
    return datetime.fromisoformat(item[sort.lstrip("-")]), uuid.UUID(item["id"])


def assert_ordered(sort: str, items: list[dict[str, Any]]) -> None:
    keys = [key(sort, i) for i in items]
    assert keys == sorted(keys, reverse=sort.startswith("-")), sort


@pytest.fixture(scope="module")
async def ten(client: httpx.AsyncClient, runtime: Runtime) -> tuple[Headers, str, list[str]]:
    """One author's ten tickets; some edited and submitted later, so that updated_at
    order differs from created_at order. Read by an approver, filtered by author."""
    author = await token(client)
    ids = await tickets_of(client, author, 10)
    for n in (7, 2, 5):
        url = f"/tickets/{ids[n]}"
        edit = await client.patch(url, json={"title": f"Edited {n}"}, headers=author)
        assert edit.status_code == 200, edit.text
        submit = await client.post(f"{url}/submit", headers={**author, **if_match(2)})
        assert submit.status_code == 200, submit.text
    await drain(runtime.dispatcher)
    return author, claims_of(author)["sub"], ids


@pytest.mark.parametrize("sort", SORTS)
async def test_each_ticket_appears_once_across_pages(
    client: httpx.AsyncClient, ten: tuple[Headers, str, list[str]], sort: str
) -> None:
    author, author_id, ids = ten
    approver = await token(client, "approver")
    for viewer in (author, approver):
        pages = await all_pages(client, viewer, sort=sort, limit=3, author=author_id)

        assert [len(p) for p in pages] == [3, 3, 3, 1]
        seen = [item["id"] for p in pages for item in p]
        assert sorted(seen) == sorted(ids)
        assert_ordered(sort, [item for p in pages for item in p])
    if sort in ("created_at", "-created_at"):
        expected = ids if sort == "created_at" else ids[::-1]
        assert seen == expected
    else:
        edited_last = [ids[7], ids[2], ids[5]]
        assert (seen[-3:] if sort == "updated_at" else seen[:3][::-1]) == edited_last


@pytest.mark.parametrize("sort", SORTS)
async def test_pages_with_filters_end_without_an_empty_page(
    client: httpx.AsyncClient, ten: tuple[Headers, str, list[str]], sort: str
) -> None:
    author, author_id, ids = ten

    submitted = await all_pages(
        client, author, sort=sort, limit=3, status="submitted", author=author_id
    )
    drafts = await all_pages(client, author, sort=sort, limit=3, status="draft", q="page")

    assert [len(p) for p in submitted] == [3]
    assert {i["id"] for i in submitted[0]} == {ids[7], ids[2], ids[5]}
    assert [len(p) for p in drafts] == [3, 3, 1]
    assert sorted(i["id"] for p in drafts for i in p) == sorted(
        ids[n] for n in range(10) if n not in (7, 2, 5)
    )


@pytest.mark.parametrize("sort", SORTS)
async def test_tickets_created_between_pages_never_duplicate_or_hide_others(
    client: httpx.AsyncClient, runtime: Runtime, sort: str
) -> None:
    author = await token(client)
    author_id = claims_of(author)["sub"]
    before = await tickets_of(client, author, 10)
    await drain(runtime.dispatcher)
    seen: list[str] = []
    cursor: str | None = None
    created: list[str] = []

    for _ in range(50):
        items, cursor = await page(client, author, cursor, sort=sort, limit=3, author=author_id)
        seen.extend(i["id"] for i in items)
        if cursor is None:
            break
        created += await tickets_of(client, author, 2)  # newer than everything so far
        await drain(runtime.dispatcher)

    assert cursor is None
    assert len(seen) == len(set(seen)), "a ticket appeared twice"
    assert all(seen.count(i) == 1 for i in before)
    assert set(seen) <= {*before, *created}
    if sort == "-created_at":
        assert not set(seen) & set(created), "newer tickets cannot appear after the cursor"
