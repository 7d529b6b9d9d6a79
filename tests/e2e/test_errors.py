"""Business-rule, permission, visibility and If-Match errors of the ticket commands."""

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Login
from tests.e2e.http_helpers import (
    approved_ticket,
    assert_etag,
    assert_problem,
    create_ticket,
    if_match,
    no_server_errors,
    submitted_ticket,
)


@pytest.fixture(autouse=True)
def _never_a_500(client: httpx.AsyncClient) -> Iterator[None]:
    with no_server_errors(client):
        yield


# -- business rules (409) -------------------------------------------------------------


@pytest.mark.parametrize("fields", [{}, {"title": ""}, {"title": "   "}])
async def test_submit_without_title(client: httpx.AsyncClient, login: Login, fields: dict) -> None:
    author = await login("notitle", "requester")
    created = await client.post("/tickets", json=fields, headers=author)
    assert created.status_code == 201, created.text
    response = await client.post(f"/tickets/{created.json()['id']}/submit", headers=author)
    assert_problem(response, 409, "ticket.title_required")


async def test_approving_a_draft(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("draft", "requester")
    approver = await login("approver", "approver")
    ticket = await create_ticket(client, author)
    for action, body in (("approve", None), ("reject", {"reason": "no"})):
        response = await client.post(
            f"/tickets/{ticket['id']}/{action}", json=body, headers=approver
        )
        assert_problem(response, 409, "ticket.invalid_transition")


async def test_approved_tickets_are_final(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("final", "requester")
    approver = await login("approver", "approver")
    ticket = await approved_ticket(client, author, approver)
    url = f"/tickets/{ticket['id']}"

    edit = await client.patch(url, json={"title": "changed"}, headers=author)
    assert_problem(edit, 409, "ticket.not_editable")
    again = await client.post(f"{url}/approve", headers=approver)
    assert_problem(again, 409, "ticket.invalid_transition")
    reject = await client.post(f"{url}/reject", json={"reason": "late"}, headers=approver)
    assert_problem(reject, 409, "ticket.invalid_transition")
    submit = await client.post(f"{url}/submit", headers=author)
    assert_problem(submit, 409, "ticket.invalid_transition")
    reopen = await client.post(f"{url}/reopen", headers=author)
    assert_problem(reopen, 409, "ticket.invalid_transition")


async def test_editing_a_submitted_ticket(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("submitted", "requester")
    ticket = await submitted_ticket(client, author)
    url = f"/tickets/{ticket['id']}"
    response = await client.patch(url, json={"description": "more"}, headers=author)
    assert_problem(response, 409, "ticket.not_editable")
    twice = await client.post(f"{url}/submit", headers=author)
    assert_problem(twice, 409, "ticket.invalid_transition")


async def test_editing_a_rejected_ticket(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("rejected", "requester")
    approver = await login("approver", "approver")
    ticket = await submitted_ticket(client, author)
    url = f"/tickets/{ticket['id']}"
    rejected = await client.post(f"{url}/reject", json={"reason": "no"}, headers=approver)
    assert rejected.status_code == 200, rejected.text
    response = await client.patch(url, json={"title": "fixed"}, headers=author)
    assert_problem(response, 409, "ticket.not_editable")


async def test_reopen_of_a_non_rejected_ticket(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("reopen", "requester")
    draft = await create_ticket(client, author)
    response = await client.post(f"/tickets/{draft['id']}/reopen", headers=author)
    assert_problem(response, 409, "ticket.invalid_transition")
    submitted = await submitted_ticket(client, author)
    response = await client.post(f"/tickets/{submitted['id']}/reopen", headers=author)
    assert_problem(response, 409, "ticket.invalid_transition")


# -- permissions (403) ----------------------------------------------------------------


async def test_approver_cannot_decide_on_own_ticket(
    client: httpx.AsyncClient, login: Login
) -> None:
    approver = await login("selfish", "approver")
    ticket = await submitted_ticket(client, approver)
    url = f"/tickets/{ticket['id']}"
    approve = await client.post(f"{url}/approve", headers=approver)
    assert_problem(approve, 403, "ticket.self_decision")
    reject = await client.post(f"{url}/reject", json={"reason": "meh"}, headers=approver)
    assert_problem(reject, 403, "ticket.self_decision")


@pytest.mark.parametrize("role", ["requester", "admin"])
async def test_non_approver_cannot_decide(
    client: httpx.AsyncClient, login: Login, role: str
) -> None:
    author = await login("author", "requester")
    ticket = await submitted_ticket(client, author)
    url = f"/tickets/{ticket['id']}"
    # The author is a requester: on their own ticket the role check is what refuses.
    actor = author if role == "requester" else await login("admin", "admin")
    approve = await client.post(f"{url}/approve", headers=actor)
    assert_problem(approve, 403, "auth.forbidden")
    reject = await client.post(f"{url}/reject", json={"reason": "no"}, headers=actor)
    assert_problem(reject, 403, "auth.forbidden")


async def test_only_the_author_edits_submits_and_reopens(
    client: httpx.AsyncClient, login: Login
) -> None:
    author = await login("owner", "requester")
    approver = await login("approver", "approver")
    draft = await create_ticket(client, author)
    url = f"/tickets/{draft['id']}"
    edit = await client.patch(url, json={"title": "mine now"}, headers=approver)
    assert_problem(edit, 403, "auth.forbidden")
    submit = await client.post(f"{url}/submit", headers=approver)
    assert_problem(submit, 403, "auth.forbidden")

    await client.post(f"{url}/submit", headers=author)
    await client.post(f"{url}/reject", json={"reason": "no"}, headers=approver)
    reopen = await client.post(f"{url}/reopen", headers=approver)
    assert_problem(reopen, 403, "auth.forbidden")


# -- visibility and unknown tickets (404) ---------------------------------------------


async def test_someone_elses_ticket_is_not_found_for_a_requester(
    client: httpx.AsyncClient, login: Login
) -> None:
    author = await login("private", "requester")
    stranger = await login("stranger", "requester")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}"

    responses = [
        await client.patch(url, json={"title": "x"}, headers=stranger),
        await client.post(f"{url}/submit", headers=stranger),
        await client.post(f"{url}/approve", headers=stranger),
        await client.post(f"{url}/reject", json={"reason": "x"}, headers=stranger),
        await client.post(f"{url}/reopen", headers=stranger),
        await client.post(f"{url}/comments", json={"body": "hello"}, headers=stranger),
    ]
    for response in responses:
        assert_problem(response, 404, "ticket.not_found")

    # The author still sees an untouched version-1 draft.
    own = await client.patch(url, json={"description": "d"}, headers={**author, **if_match(1)})
    assert own.status_code == 200, own.text
    assert_etag(own, 2)


@pytest.mark.parametrize("role", ["requester", "approver"])
async def test_unknown_ticket_is_not_found(
    client: httpx.AsyncClient, login: Login, role: str
) -> None:
    user = await login("lost", role)
    url = f"/tickets/{uuid.uuid4()}"
    responses = [
        await client.patch(url, json={"title": "x"}, headers=user),
        await client.post(f"{url}/submit", headers=user),
        await client.post(f"{url}/approve", headers=user),
        await client.post(f"{url}/reject", json={"reason": "x"}, headers=user),
        await client.post(f"{url}/reopen", headers=user),
        await client.post(f"{url}/comments", json={"body": "hello"}, headers=user),
    ]
    for response in responses:
        assert_problem(response, 404, "ticket.not_found")


@pytest.mark.parametrize("ticket_id", ["not-a-uuid", "123", "0000-zzzz"])
async def test_malformed_ticket_id(client: httpx.AsyncClient, login: Login, ticket_id: str) -> None:
    user = await login("malformed", "requester")
    url = f"/tickets/{ticket_id}"
    assert_problem(await client.patch(url, json={}, headers=user), 422, "request.invalid")
    assert_problem(await client.post(f"{url}/submit", headers=user), 422, "request.invalid")
    comment = await client.post(f"{url}/comments", json={"body": "x"}, headers=user)
    assert_problem(comment, 422, "request.invalid")


# -- If-Match (412 / 422) -------------------------------------------------------------


async def test_stale_if_match_on_edit_changes_nothing(
    client: httpx.AsyncClient, login: Login
) -> None:
    author = await login("stale", "requester")
    ticket = await create_ticket(client, author, title="original")
    url = f"/tickets/{ticket['id']}"

    for stale in (0, 2, 99):
        response = await client.patch(
            url, json={"title": "stale write"}, headers={**author, **if_match(stale)}
        )
        assert_problem(response, 412, "ticket.version_mismatch")

    fresh = await client.patch(
        url, json={"description": "fresh"}, headers={**author, **if_match(1)}
    )
    assert fresh.status_code == 200, fresh.text
    assert_etag(fresh, 2)
    assert fresh.json()["title"] == "original"


async def test_stale_if_match_on_transitions(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("stale", "requester")
    approver = await login("approver", "approver")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}"

    submit = await client.post(f"{url}/submit", headers={**author, **if_match(2)})
    assert_problem(submit, 412, "ticket.version_mismatch")
    comment = await client.post(
        f"{url}/comments", json={"body": "hi"}, headers={**author, **if_match(5)}
    )
    assert_problem(comment, 412, "ticket.version_mismatch")

    # Still a version-1 draft: a submit at version 1 succeeds and makes version 2.
    submitted = await client.post(f"{url}/submit", headers={**author, **if_match(1)})
    assert submitted.status_code == 200, submitted.text
    assert_etag(submitted, 2)

    approve = await client.post(f"{url}/approve", headers={**approver, **if_match(1)})
    assert_problem(approve, 412, "ticket.version_mismatch")
    approved = await client.post(f"{url}/approve", headers={**approver, **if_match(2)})
    assert approved.status_code == 200, approved.text
    assert_etag(approved, 3)


@pytest.mark.parametrize("header", ["1", "v1", '"1', '1"', "'1'"])
async def test_malformed_if_match(client: httpx.AsyncClient, login: Login, header: str) -> None:
    author = await login("badetag", "requester")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}"
    response = await client.patch(url, json={"title": "x"}, headers={**author, "If-Match": header})
    assert_problem(response, 422, "request.invalid")
    # Nothing happened.
    ok = await client.patch(url, json={"title": "y"}, headers={**author, **if_match(1)})
    assert_etag(ok, 2)


async def test_if_match_star_and_weak_tag_are_accepted(
    client: httpx.AsyncClient, login: Login
) -> None:
    author = await login("star", "requester")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}"
    star = await client.patch(url, json={"title": "a"}, headers={**author, "If-Match": "*"})
    assert star.status_code == 200, star.text
    assert_etag(star, 2)
    weak = await client.patch(url, json={"title": "b"}, headers={**author, "If-Match": 'W/"2"'})
    assert weak.status_code == 200, weak.text
    assert_etag(weak, 3)


async def test_if_match_with_a_non_numeric_tag(client: httpx.AsyncClient, login: Login) -> None:
    author = await login("alpha", "requester")
    ticket = await create_ticket(client, author)
    response = await client.post(
        f"/tickets/{ticket['id']}/submit", headers={**author, "If-Match": '"abc"'}
    )
    assert_problem(response, 412, "ticket.version_mismatch")
