"""Property: for random command sequences, the read model after drain() equals the
read model rebuilt from the event log."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import settings_for
from tests.integration.conftest import context, register
from tests.support.readmodel import rebuild_all, snapshot
from tickets.application.commands import (
    AddComment,
    ApproveTicket,
    Command,
    CreateTicket,
    EditTicket,
    RejectTicket,
    ReopenTicket,
    SubmitTicket,
)
from tickets.application.errors import ApplicationError
from tickets.bootstrap import Runtime, open_runtime
from tickets.domain.errors import DomainError
from tickets.domain.users import Role, User
from tickets.infrastructure.outbox.drain import drain
from tickets.testing.scratch_databases import scratch_database


@pytest_asyncio.fixture(scope="module")
async def own_runtime(server_url: str) -> AsyncIterator[Runtime]:
    """A database of its own: rebuilds replace the whole read model."""
    async with (
        scratch_database(server_url) as url,
        open_runtime(settings_for(url)) as runtime,
    ):
        yield runtime


@dataclass
class Cast:
    authors: list[User]
    approvers: list[User]


text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)
step = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 1), text),
    st.tuples(st.just("edit"), st.integers(0, 9), text),
    st.tuples(st.just("submit"), st.integers(0, 9)),
    st.tuples(st.just("approve"), st.integers(0, 9), st.integers(0, 1)),
    st.tuples(st.just("reject"), st.integers(0, 9), st.integers(0, 1), text),
    st.tuples(st.just("reopen"), st.integers(0, 9)),
    st.tuples(st.just("comment"), st.integers(0, 9), text),
    st.tuples(st.just("drain")),
)


def command_for(action: tuple, cast: Cast, tickets: list[tuple[uuid.UUID, User]]) -> Command:
    kind = action[0]
    if kind == "create":
        return CreateTicket(actor=cast.authors[action[1]], title=action[2] or "untitled")
    ticket_id, author = tickets[action[1] % len(tickets)]
    if kind == "edit":
        return EditTicket(actor=author, ticket_id=ticket_id, title=action[2])
    if kind == "submit":
        return SubmitTicket(actor=author, ticket_id=ticket_id)
    if kind == "approve":
        return ApproveTicket(actor=cast.approvers[action[2]], ticket_id=ticket_id)
    if kind == "reject":
        return RejectTicket(actor=cast.approvers[action[2]], ticket_id=ticket_id, reason=action[3])
    if kind == "reopen":
        return ReopenTicket(actor=author, ticket_id=ticket_id)
    return AddComment(actor=cast.approvers[0], ticket_id=ticket_id, body=action[2])


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=25))
async def test_read_model_after_drain_equals_rebuild_from_the_log(
    own_runtime: Runtime, steps: list[tuple]
) -> None:
    runtime = own_runtime
    cast = Cast(
        [await register(runtime) for _ in range(2)],
        [await register(runtime, Role.APPROVER) for _ in range(2)],
    )
    tickets: list[tuple[uuid.UUID, User]] = []
    for action in steps:
        if action[0] == "drain":
            await drain(runtime.dispatcher)  # partial deliveries between commands
            continue
        if action[0] != "create" and not tickets:
            continue
        command = command_for(action, cast, tickets)
        try:
            outcome = await runtime.bus.handle(command, context())
        except (DomainError, ApplicationError):
            continue  # refused commands are part of random sequences
        if isinstance(command, CreateTicket):
            tickets.append((outcome.result.id, command.actor))

    await drain(runtime.dispatcher)
    live = await snapshot(runtime)
    await rebuild_all(runtime)
    assert await snapshot(runtime) == live
