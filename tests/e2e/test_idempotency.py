"""Idempotency-Key: a repeat replays the stored response and changes nothing."""

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Login
from tests.e2e.http_helpers import (
    assert_etag,
    assert_problem,
    create_ticket,
    if_match,
    no_server_errors,
    submitted_ticket,
)

REPLAYED = "idempotent-replayed"


@pytest.fixture(autouse=True)
def _never_a_500(client: httpx.AsyncClient) -> Iterator[None]:
    with no_server_errors(client):
        yield


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"key-{uuid.uuid4().hex}"}


async def test_repeated_create_returns_the_same_ticket(
    client: httpx.AsyncClient, login: Login
) -> None:
    author = await login("idem", "requester")
    headers = {**author, **_key()}
    body = {"title": "Only once", "description": "d"}

    first = await client.post("/tickets", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers
    second = await client.post("/tickets", json=body, headers=headers)
    assert second.status_code == 201, second.text
    assert second.headers.get(REPLAYED) == "true"
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["etag"] == first.headers["etag"] == '"1"'

    # A new key is a new request: a different ticket.
    other = await client.post("/tickets", json=body, headers={**author, **_key()})
    assert other.status_code == 201, other.text
    assert other.json()["id"] != first.json()["id"]
    assert REPLAYED not in other.headers

    # The replayed ticket was not created twice: it is still a version-1 draft.
    url = first.headers["location"]
    edit = await client.patch(url, json={"title": "edited"}, headers={**author, **if_match(1)})
    assert_etag(edit, 2)


async def test_same_key_with_a_different_body(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("idem", "requester")
    headers = {**author, **_key()}
    first = await client.post("/tickets", json={"title": "one"}, headers=headers)
    assert first.status_code == 201, first.text
    response = await client.post("/tickets", json={"title": "two"}, headers=headers)
    assert_problem(response, 422, "idempotency.key_reused")
    # The original is still replayable.
    replay = await client.post("/tickets", json={"title": "one"}, headers=headers)
    assert replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"]


async def test_same_key_on_another_endpoint(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("idem", "requester")
    headers = {**author, **_key()}
    created = await client.post("/tickets", json={"title": "t"}, headers=headers)
    assert created.status_code == 201, created.text
    submit = await client.post(f"/tickets/{created.json()['id']}/submit", headers=headers)
    assert_problem(submit, 422, "idempotency.key_reused")
    # The submit did not happen.
    edit = await client.patch(
        f"/tickets/{created.json()['id']}", json={"title": "u"}, headers={**author, **if_match(1)}
    )
    assert_etag(edit, 2)


async def test_keys_are_per_user(client: httpx.AsyncClient, login: Login) -> None:
    key = _key()
    alice = await login("alice", "requester")
    bob = await login("bob", "requester")
    body = {"title": "same"}
    mine = await client.post("/tickets", json=body, headers={**alice, **key})
    theirs = await client.post("/tickets", json=body, headers={**bob, **key})
    assert mine.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert theirs.json()["author"]["id"] != mine.json()["author"]["id"]


async def test_repeated_submit_changes_nothing(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("idem", "requester")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}"
    headers = {**author, **_key()}

    first = await client.post(f"{url}/submit", headers=headers)
    assert first.status_code == 200, first.text
    assert_etag(first, 2)
    second = await client.post(f"{url}/submit", headers=headers)
    assert second.status_code == 200, second.text
    assert second.headers.get(REPLAYED) == "true"
    assert second.json() == first.json()
    assert_etag(second, 2)

    # Without the key the same command is refused: the ticket is submitted once, at v2.
    fresh = await client.post(f"{url}/submit", headers=author)
    assert_problem(fresh, 409, "ticket.invalid_transition")
    comment = await client.post(
        f"{url}/comments", json={"body": "v2?"}, headers={**author, **if_match(2)}
    )
    assert comment.status_code == 201, comment.text
    assert_etag(comment, 3)


async def test_repeated_reject_and_comment(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("idem", "requester")
    approver = await login("idem-approver", "approver")
    ticket = await submitted_ticket(client, author)
    url = f"/tickets/{ticket['id']}"

    reject_headers = {**approver, **_key()}
    reject = await client.post(f"{url}/reject", json={"reason": "no"}, headers=reject_headers)
    assert_etag(reject, 3)
    replay = await client.post(f"{url}/reject", json={"reason": "no"}, headers=reject_headers)
    assert replay.status_code == 200, replay.text
    assert replay.headers.get(REPLAYED) == "true"
    assert replay.json() == reject.json()
    changed = await client.post(f"{url}/reject", json={"reason": "never"}, headers=reject_headers)
    assert_problem(changed, 422, "idempotency.key_reused")

    comment_headers = {**approver, **_key()}
    comment = await client.post(f"{url}/comments", json={"body": "hi"}, headers=comment_headers)
    assert comment.status_code == 201, comment.text
    assert_etag(comment, 4)
    again = await client.post(f"{url}/comments", json={"body": "hi"}, headers=comment_headers)
    assert again.status_code == 201, again.text
    assert again.headers.get(REPLAYED) == "true"
    assert again.json() == comment.json()
    assert_etag(again, 4)

    # Only one comment was added: the ticket is at version 4.
    reopened = await client.post(f"{url}/reopen", headers={**author, **if_match(4)})
    assert reopened.status_code == 200, reopened.text
    assert_etag(reopened, 5)


async def test_same_key_with_a_different_if_match(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("idem", "requester")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}/comments"
    headers = {**author, **_key()}
    first = await client.post(url, json={"body": "a"}, headers={**headers, **if_match(1)})
    assert first.status_code == 201, first.text
    other = await client.post(url, json={"body": "a"}, headers={**headers, **if_match(2)})
    assert_problem(other, 422, "idempotency.key_reused")


async def test_longest_allowed_key(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("idem", "requester")
    headers = {**author, "Idempotency-Key": "k" * 255}
    first = await client.post("/tickets", json={"title": "long key"}, headers=headers)
    assert first.status_code == 201, first.text
    second = await client.post("/tickets", json={"title": "long key"}, headers=headers)
    assert second.headers.get(REPLAYED) == "true"
    assert second.json()["id"] == first.json()["id"]
