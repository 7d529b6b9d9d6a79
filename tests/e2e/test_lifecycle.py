"""The ticket lifecycle over HTTP: every command answers with the next version and ETag."""

import httpx

from tests.e2e.conftest import Login
from tests.e2e.http_helpers import assert_etag, claims_of, create_ticket, if_match


async def test_create_edit_submit_approve(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("alice", "requester")
    approver = await login("bob", "approver")
    me = claims_of(author)

    created = await client.post(
        "/tickets", json={"title": "New laptop", "description": "Mine is old."}, headers=author
    )
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert created.headers["location"] == f"/tickets/{ticket['id']}"
    assert_etag(created, 1)
    assert ticket["status"] == "draft"
    assert ticket["title"] == "New laptop"
    assert ticket["description"] == "Mine is old."
    assert ticket["author"] == {"id": me["sub"], "name": me["name"]}
    url = f"/tickets/{ticket['id']}"

    edited = await client.patch(
        url, json={"title": "New laptop, 16 GB"}, headers={**author, **if_match(1)}
    )
    assert edited.status_code == 200, edited.text
    assert_etag(edited, 2)
    assert edited.json()["title"] == "New laptop, 16 GB"
    assert edited.json()["description"] == "Mine is old."
    assert edited.json()["status"] == "draft"

    submitted = await client.post(f"{url}/submit", headers={**author, **if_match(2)})
    assert submitted.status_code == 200, submitted.text
    assert_etag(submitted, 3)
    assert submitted.json()["status"] == "submitted"

    approved = await client.post(f"{url}/approve", headers={**approver, **if_match(3)})
    assert approved.status_code == 200, approved.text
    assert_etag(approved, 4)
    assert approved.json()["status"] == "approved"
    assert approved.json()["id"] == ticket["id"]
    assert approved.json()["author"]["id"] == me["sub"]


async def test_reject_reopen_edit_and_resubmit(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("carol", "requester")
    approver = await login("dave", "approver")
    ticket = await create_ticket(client, author, title="Conference trip")
    url = f"/tickets/{ticket['id']}"

    submitted = await client.post(f"{url}/submit", headers=author)
    assert_etag(submitted, 2)

    rejected = await client.post(
        f"{url}/reject", json={"reason": "Budget is frozen."}, headers={**approver, **if_match(2)}
    )
    assert rejected.status_code == 200, rejected.text
    assert_etag(rejected, 3)
    assert rejected.json()["status"] == "rejected"

    reopened = await client.post(f"{url}/reopen", headers={**author, **if_match(3)})
    assert reopened.status_code == 200, reopened.text
    assert_etag(reopened, 4)
    assert reopened.json()["status"] == "draft"

    edited = await client.patch(
        url, json={"description": "Cheaper hotel."}, headers={**author, **if_match(4)}
    )
    assert edited.status_code == 200, edited.text
    assert_etag(edited, 5)
    assert edited.json()["description"] == "Cheaper hotel."
    assert edited.json()["title"] == "Conference trip"

    resubmitted = await client.post(f"{url}/submit", headers={**author, **if_match(5)})
    assert resubmitted.status_code == 200, resubmitted.text
    assert_etag(resubmitted, 6)
    assert resubmitted.json()["status"] == "submitted"

    approved = await client.post(f"{url}/approve", headers={**approver, **if_match(6)})
    assert approved.status_code == 200, approved.text
    assert_etag(approved, 7)
    assert approved.json()["status"] == "approved"


async def test_author_and_approver_comment(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("erin", "requester")
    approver = await login("frank", "approver")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}/comments"

    mine = await client.post(url, json={"body": "  Any news?  "}, headers=author)
    assert mine.status_code == 201, mine.text
    assert_etag(mine, 2)
    assert mine.json()["ticket_id"] == ticket["id"]
    assert mine.json()["body"] == "Any news?"
    assert mine.json()["author"]["id"] == claims_of(author)["sub"]

    theirs = await client.post(
        url, json={"body": "Which model?"}, headers={**approver, **if_match(2)}
    )
    assert theirs.status_code == 201, theirs.text
    assert_etag(theirs, 3)
    assert theirs.json()["author"]["id"] == claims_of(approver)["sub"]
    assert theirs.json()["id"] != mine.json()["id"]

    # The comment moved the version on: the next command must name version 3.
    submitted = await client.post(
        f"/tickets/{ticket['id']}/submit", headers={**author, **if_match(3)}
    )
    assert submitted.status_code == 200, submitted.text
    assert_etag(submitted, 4)


async def test_comments_stay_open_on_approved_tickets(
    client: httpx.AsyncClient, login: Login
) -> None:
    author = await login("gina", "requester")
    approver = await login("hank", "approver")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}"
    await client.post(f"{url}/submit", headers=author)
    approved = await client.post(f"{url}/approve", headers=approver)
    assert_etag(approved, 3)

    comment = await client.post(f"{url}/comments", json={"body": "Ordered."}, headers=approver)
    assert comment.status_code == 201, comment.text
    assert_etag(comment, 4)
    thanks = await client.post(f"{url}/comments", json={"body": "Thanks!"}, headers=author)
    assert thanks.status_code == 201, thanks.text
    assert_etag(thanks, 5)


async def test_approver_may_create_tickets(client: httpx.AsyncClient, login: Login) -> None:
    approver = await login("iris", "approver")
    created = await client.post("/tickets", json={"title": "Mine"}, headers=approver)
    assert created.status_code == 201, created.text
    assert_etag(created, 1)
    assert created.json()["author"]["id"] == claims_of(approver)["sub"]


async def test_create_without_body_makes_an_empty_draft(
    client: httpx.AsyncClient, login: Login
) -> None:
    author = await login("jack", "requester")
    created = await client.post("/tickets", headers=author)
    assert created.status_code == 201, created.text
    assert_etag(created, 1)
    assert created.json()["status"] == "draft"
    assert created.json()["title"] == ""
    assert created.json()["description"] == ""


async def test_client_request_id_is_echoed(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("kate", "requester")
    response = await client.post(
        "/tickets", json={"title": "x"}, headers={**author, "X-Request-ID": "req-42.abc"}
    )
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "req-42.abc"


async def test_request_id_is_generated_when_absent(client: httpx.AsyncClient) -> None:
    first = await client.get("/health/live")
    second = await client.get("/health/live")
    assert first.headers.get("x-request-id")
    assert second.headers.get("x-request-id")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_request_id_is_present_on_errors_and_replaced_when_unsafe(
    client: httpx.AsyncClient,
) -> None:
    echoed = await client.post("/tickets", json={}, headers={"X-Request-ID": "err-1"})
    assert echoed.status_code == 401
    assert echoed.headers["x-request-id"] == "err-1"

    unsafe = "has spaces and <html>"
    replaced = await client.get("/health/live", headers={"X-Request-ID": unsafe})
    generated = replaced.headers.get("x-request-id")
    assert generated
    assert generated != unsafe
