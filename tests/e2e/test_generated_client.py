"""A Python client generated from the served OpenAPI document by openapi-python-client
drives the README's walkthrough against a live server: every call, errors included,
goes through the generated functions and comes back as their typed models (no raw
HTTP). It proves the document is one a generator can use as it stands: optional
bodies that can be left out, readable enum names, non-nullable optional parameters,
and every status the server answers declared (an undeclared one raises here)."""

import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.live_server import live_server as start_live_server

PACKAGE = "tickets_api_client"
# No post-hooks: the generator would run ruff over the code it wrote, which the test
# does not need (and PATH may not hold ruff).
CONFIG = f"post_hooks: []\npackage_name_override: {PACKAGE}\nproject_name_override: {PACKAGE}\n"


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with start_live_server(database_url, tmp_path_factory.mktemp("server")) as base:
        yield base


@pytest.fixture(scope="module")
def generated(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package, generated from ``server``'s /openapi.json and imported."""
    where = tmp_path_factory.mktemp("client")
    (where / "config.yaml").write_text(CONFIG)
    generator = Path(sys.executable).parent / "openapi-python-client"
    command = [str(generator), "generate", "--url", f"{server}/openapi.json", "--meta", "none"]
    command += ["--output-path", str(where / PACKAGE), "--config", str(where / "config.yaml")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=where)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


class Api:
    """The generated modules the walkthrough uses, imported by name."""

    def __init__(self, base: str) -> None:
        def load(name: str) -> Any:
            return importlib.import_module(f"{PACKAGE}.{name}")

        self.base = base
        self.client, self.m = load("client"), load("models")
        self.token, self.create = load("api.auth.token"), load("api.tickets.create_ticket")
        self.edit, self.submit = load("api.tickets.edit_ticket"), load("api.tickets.submit_ticket")
        self.approve = load("api.tickets.approve_ticket")
        self.reject, self.reopen = (
            load("api.tickets.reject_ticket"),
            load("api.tickets.reopen_ticket"),
        )
        self.comment = load("api.tickets.add_comment")
        self.details, self.list = load("api.queries.get_ticket"), load("api.queries.list_tickets")

    def login(self, name: str, role: str) -> Any:
        anonymous = self.client.Client(base_url=self.base, raise_on_unexpected_status=True)
        body = self.m.TokenRequest(username=name, role=self.m.Role(role))
        answer = self.token.sync(client=anonymous, body=body)
        assert isinstance(answer, self.m.TokenResponse), answer
        assert answer.token_type == "bearer"
        return self.client.AuthenticatedClient(
            base_url=self.base, token=answer.access_token, raise_on_unexpected_status=True
        )

    def problem(self, response: Any, status: int, code: str) -> None:
        """``response`` is the generated client's typed problem with this status and code."""
        assert response.status_code == status, (response.status_code, response.content)
        assert isinstance(response.parsed, self.m.ProblemOut), response.parsed
        assert response.parsed.code == code, response.parsed


def test_a_generated_client_drives_the_walkthrough(generated: ModuleType, server: str) -> None:
    api = Api(server)  # the generated package is imported by the fixture
    m = api.m
    suffix = uuid.uuid4().hex[:8]
    alice_name = f"alice-{suffix}"
    alice, bob = api.login(alice_name, "requester"), api.login(f"bob-{suffix}", "approver")

    # A draft without a body: the call that crashed before sending while optional
    # bodies were documented as anyOf [$ref, null].
    empty = api.create.sync_detailed(client=alice)
    assert empty.status_code == 201, empty.content
    assert empty.parsed.title == ""
    created = api.create.sync_detailed(client=alice, body=m.TicketFields(title="New laptop"))
    ticket = created.parsed
    assert created.status_code == 201
    assert isinstance(ticket, m.TicketOut)
    assert created.headers["location"] == f"/tickets/{ticket.id}"
    assert created.headers["etag"] == '"1"'
    edited = api.edit.sync(
        ticket.id,
        client=alice,
        body=m.TicketFields(description="Mine is five years old."),
        if_match=created.headers["etag"],
    )
    assert edited.version == 2
    assert edited.description == "Mine is five years old."
    assert (
        api.submit.sync(ticket.id, client=alice, if_match='"2"').status == m.TicketStatus.SUBMITTED
    )
    key = f"approve-{ticket.id}"
    approved = api.approve.sync_detailed(ticket.id, client=bob, idempotency_key=key)
    assert approved.status_code == 200
    assert approved.parsed.version == 4
    again = api.approve.sync_detailed(ticket.id, client=bob, idempotency_key=key)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.parsed.version == 4

    # The reject / reopen path, then a comment.
    second = api.create.sync(client=alice, body=m.TicketFields(title="Standing desk")).id
    api.submit.sync(second, client=alice)
    reason = m.RejectBody(reason="Please add a quote.", reason_code=m.RejectionCode("budget"))
    assert api.reject.sync(second, client=bob, body=reason).status == m.TicketStatus.REJECTED
    assert api.reopen.sync(second, client=alice).status == m.TicketStatus.DRAFT
    api.edit.sync(second, client=alice, body=m.TicketFields(description="Quote: 480 EUR."))
    api.submit.sync(second, client=alice)
    comment = api.comment.sync(second, client=bob, body=m.CommentBody(body="Looks fine now."))
    assert isinstance(comment, m.CommentOut)
    assert comment.version == 7

    # Errors come back as typed problems.
    api.problem(api.approve.sync_detailed(ticket.id, client=bob), 409, "ticket.invalid_transition")
    stale = api.comment.sync_detailed(
        ticket.id, client=bob, body=m.CommentBody(body="Stale view"), if_match='"1"'
    )
    api.problem(stale, 412, "ticket.version_mismatch")
    api.problem(api.list.sync_detailed(client=bob, limit=1000), 422, "request.invalid")
    api.problem(api.details.sync_detailed(uuid.uuid4(), client=alice), 404, "ticket.not_found")

    # The read side: details once the read model shows the comment, then a list by pages.
    details = api.details.sync_detailed(second, client=alice, min_version=comment.version)
    assert details.status_code == 200, details.content
    assert details.headers["etag"] == '"7"'
    assert [c.body for c in details.parsed.comments] == ["Looks fine now."]
    assert [h.version for h in details.parsed.history] == [1, 2, 3, 4, 5, 6, 7]
    decided = api.details.sync(ticket.id, client=bob, min_version=4)
    assert decided.decision.outcome == m.DecisionOutOutcome.APPROVED
    first = api.list.sync(client=bob, author=alice_name, sort=m.TicketSort.NEWEST, limit=1)
    assert [item.id for item in first.items] == [second]
    following = api.list.sync(
        client=bob, author=alice_name, sort=m.TicketSort.NEWEST, limit=1, cursor=first.next_cursor
    )
    assert [item.id for item in following.items] == [ticket.id]
