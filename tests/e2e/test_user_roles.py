"""An existing user's role changes only by an admin's command (HTTP or CLI), never by a
login, and a change reaches the tokens the user already holds."""

import uuid
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from tests.e2e.conftest import Login
from tests.e2e.http_helpers import assert_problem, claims_of, submitted_ticket
from tickets.cli import app as cli


async def _set_role(
    client: httpx.AsyncClient, admin: dict[str, str], user_id: str, role: Any
) -> httpx.Response:
    return await client.put(f"/admin/users/{user_id}/role", json={"role": role}, headers=admin)


async def test_a_demoted_approvers_old_token_no_longer_approves(
    client: httpx.AsyncClient, login: Login
) -> None:
    admin, author, bob = (
        await login("root", "admin"),
        await login("alice"),
        await login("bob", "approver"),
    )
    bob_id = claims_of(bob)["sub"]

    demoted = await _set_role(client, admin, bob_id, "requester")
    assert demoted.status_code == 200, demoted.text
    assert demoted.json() == {"id": bob_id, "name": claims_of(bob)["name"], "roles": ["requester"]}
    ticket = await submitted_ticket(client, author)
    # As a requester, bob no longer even sees another author's ticket.
    refused = await client.post(f"/tickets/{ticket['id']}/approve", headers=bob)
    assert_problem(refused, 404, "ticket.not_found")

    restored = await _set_role(client, admin, bob_id, "approver")
    assert restored.json()["roles"] == ["approver"]
    approved = await client.post(f"/tickets/{ticket['id']}/approve", headers=bob)
    assert approved.status_code == 200, approved.text


async def test_after_a_role_change_a_login_gets_the_new_role_only(
    client: httpx.AsyncClient, login: Login
) -> None:
    admin, carol = await login("root", "admin"), await login("carol", "requester")
    name = claims_of(carol)["name"]
    changed = await _set_role(client, admin, claims_of(carol)["sub"], "approver")
    assert changed.status_code == 200, changed.text
    old_role = await client.post("/auth/token", json={"username": name, "role": "requester"})
    assert_problem(old_role, 409, "user.role_mismatch")
    new_role = await client.post("/auth/token", json={"username": name, "role": "approver"})
    assert new_role.status_code == 200, new_role.text


@pytest.mark.parametrize("role", ["requester", "approver"])
async def test_only_admins_change_roles(client: httpx.AsyncClient, login: Login, role: str) -> None:
    actor, target = await login("eve", role), await login("dave", "requester")
    response = await _set_role(client, actor, claims_of(target)["sub"], "admin")
    assert_problem(response, 403, "auth.forbidden")


async def test_an_admin_cannot_change_their_own_role(
    client: httpx.AsyncClient, login: Login
) -> None:
    admin = await login("root", "admin")
    response = await _set_role(client, admin, claims_of(admin)["sub"], "requester")
    assert_problem(response, 403, "user.own_role")


async def test_role_change_refusals(client: httpx.AsyncClient, login: Login) -> None:
    admin, target = await login("root", "admin"), await login("frank")
    target_id = claims_of(target)["sub"]
    assert_problem(
        await _set_role(client, admin, str(uuid.uuid4()), "approver"), 404, "user.not_found"
    )
    assert_problem(await _set_role(client, admin, target_id, "superuser"), 422, "request.invalid")
    extra = await client.put(
        f"/admin/users/{target_id}/role", json={"role": "approver", "x": 1}, headers=admin
    )
    assert_problem(extra, 422, "request.invalid")
    anonymous = await client.put(f"/admin/users/{target_id}/role", json={"role": "approver"})
    assert_problem(anonymous, 401, "auth.missing_token")


def test_the_cli_changes_a_role_and_a_login_never_does(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETS_DATABASE_URL", database_url)
    monkeypatch.setenv("TICKETS_JWT_SECRET", TEST_SECRET)
    monkeypatch.setenv("TICKETS_LOG_LEVEL", "WARNING")
    runner, name = CliRunner(), f"gina-{uuid.uuid4().hex[:8]}"
    assert runner.invoke(cli, ["token", name, "--role", "approver"]).exit_code == 0

    changed = runner.invoke(cli, ["users", "set-role", name, "--role", "requester"])
    assert changed.exit_code == 0, changed.output
    assert "requester" in changed.output

    mismatch = runner.invoke(cli, ["token", name, "--role", "approver"])
    assert mismatch.exit_code == 1
    assert "Traceback" not in mismatch.output
    token = runner.invoke(cli, ["token", name, "--role", "requester"])
    assert token.exit_code == 0, token.output

    unknown = runner.invoke(cli, ["users", "set-role", "nobody-" + name, "--role", "admin"])
    assert unknown.exit_code == 1
    assert "no user" in unknown.output
