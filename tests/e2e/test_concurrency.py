"""Racing requests on one ticket: optimistic concurrency and idempotency hold over HTTP."""

import asyncio
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
)

RACERS = 6


@pytest.fixture(autouse=True)
def _never_a_500(client: httpx.AsyncClient) -> Iterator[None]:
    with no_server_errors(client):
        yield


async def test_racing_edits_at_one_version_have_one_winner(
    client: httpx.AsyncClient, login: Login
) -> None:
    author = await login("racer", "requester")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}"
    responses = await asyncio.gather(
        *(
            client.patch(url, json={"title": f"title {n}"}, headers={**author, **if_match(1)})
            for n in range(RACERS)
        )
    )
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert_etag(winners[0], 2)
    for loser in responses:
        if loser is not winners[0]:
            problem = assert_problem(loser, loser.status_code)
            assert (loser.status_code, problem["code"]) in {
                (412, "ticket.version_mismatch"),
                (409, "ticket.version_conflict"),
            }, problem

    # The winner's write is the one that stuck, at version 2.
    after = await client.patch(url, json={}, headers={**author, **if_match(2)})
    assert after.status_code == 200, after.text
    assert after.json()["title"] == winners[0].json()["title"]


async def test_racing_submits_submit_once(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("racer", "requester")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}/submit"
    responses = await asyncio.gather(*(client.post(url, headers=author) for _ in range(RACERS)))
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert_etag(winners[0], 2)
    for loser in responses:
        if loser is not winners[0]:
            problem = assert_problem(loser, 409)
            assert problem["code"] in {"ticket.invalid_transition", "ticket.version_conflict"}


async def test_racing_comments_never_share_a_version(
    client: httpx.AsyncClient, login: Login
) -> None:
    author = await login("racer", "requester")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}/comments"
    responses = await asyncio.gather(
        *(client.post(url, json={"body": f"c{n}"}, headers=author) for n in range(RACERS))
    )
    winners = [r for r in responses if r.status_code == 201]
    assert winners, [r.status_code for r in responses]
    versions = sorted(r.json()["version"] for r in winners)
    assert versions == list(range(2, 2 + len(winners))), versions
    for loser in responses:
        if loser.status_code != 201:
            assert_problem(loser, 409, "ticket.version_conflict")

    # Exactly len(winners) comments were added.
    last = 1 + len(winners)
    submit = await client.post(
        f"/tickets/{ticket['id']}/submit", headers={**author, **if_match(last)}
    )
    assert submit.status_code == 200, submit.text
    assert_etag(submit, last + 1)


async def test_racing_creates_with_one_idempotency_key(
    client: httpx.AsyncClient, login: Login
) -> None:
    author = await login("racer", "requester")
    headers = {**author, "Idempotency-Key": f"race-{uuid.uuid4().hex}"}
    responses = await asyncio.gather(
        *(client.post("/tickets", json={"title": "once"}, headers=headers) for _ in range(RACERS))
    )
    assert [r.status_code for r in responses] == [201] * RACERS, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    assert len(replayed) == RACERS - 1
