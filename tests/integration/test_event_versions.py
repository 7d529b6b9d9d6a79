"""A log of mixed event versions (ticket.rejected v1 rows from an earlier release, v2
rows from this one): live delivery upcasts the old rows, and a rebuild from the log
produces the same read model."""

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio

from tests.conftest import settings_for
from tests.integration.conftest import context, register
from tests.support.old_events import downgrade_rejections_to_v1
from tests.support.readmodel import rebuild_all, snapshot
from tickets.application.commands import (
    CreateTicket,
    RejectTicket,
    ReopenTicket,
    SubmitTicket,
)
from tickets.application.results import TicketResult
from tickets.bootstrap import Runtime, open_runtime
from tickets.domain.rejection import RejectionCode
from tickets.domain.users import Role, User
from tickets.infrastructure.outbox.drain import drain
from tickets.testing.scratch_databases import scratch_database


@pytest_asyncio.fixture
async def own_runtime(server_url: str) -> AsyncIterator[Runtime]:
    """A database of its own: a rebuild replaces the whole read model."""
    async with scratch_database(server_url) as url, open_runtime(settings_for(url)) as rt:
        yield rt


async def rejected(
    runtime: Runtime, author: User, approver: User, code: RejectionCode
) -> uuid.UUID:
    outcome = await runtime.bus.handle(CreateTicket(actor=author, title="Chair"), context())
    assert isinstance(outcome.result, TicketResult)
    ticket = outcome.result.id
    await runtime.bus.handle(SubmitTicket(actor=author, ticket_id=ticket), context())
    reject = RejectTicket(actor=approver, ticket_id=ticket, reason="no", reason_code=code)
    await runtime.bus.handle(reject, context())
    return ticket


async def test_a_rebuild_over_mixed_versions_equals_live_delivery(own_runtime: Runtime) -> None:
    runtime = own_runtime
    author, approver = await register(runtime), await register(runtime, Role.APPROVER)
    old = await rejected(runtime, author, approver, RejectionCode.UNSPECIFIED)
    assert await downgrade_rejections_to_v1(runtime.pools.write, old) == 1
    # The same ticket goes on under this release: reopened, resubmitted, rejected as v2.
    for command in (
        ReopenTicket(actor=author, ticket_id=old),
        SubmitTicket(actor=author, ticket_id=old),
        RejectTicket(
            actor=approver, ticket_id=old, reason="still no", reason_code=RejectionCode.POLICY
        ),
    ):
        await runtime.bus.handle(command, context())
    new = await rejected(runtime, author, approver, RejectionCode.BUDGET)
    stored = await runtime.pools.write.fetch(
        "SELECT event_type FROM tickets.outbox_messages WHERE event_type LIKE 'ticket.rejected%'"
        " ORDER BY seq"
    )
    assert [r["event_type"] for r in stored] == [
        "ticket.rejected.v1",
        "ticket.rejected.v2",
        "ticket.rejected.v2",
    ]

    await drain(runtime.dispatcher)
    status = await runtime.dead_letters.status()
    assert (status.pending, status.dead) == (0, 0), "the v1 row was decoded, not parked as poison"
    live = await snapshot(runtime)
    versions = {r["ticket_id"]: (r["status"], r["version"]) for r in live["ticket_list"]}
    assert versions == {old: ("rejected", 6), new: ("rejected", 3)}
    notified = await runtime.pools.write.fetchval(
        "SELECT count(*) FROM tickets.notifications WHERE kind = 'rejected'"
    )
    assert notified == 3

    await rebuild_all(runtime)
    assert await snapshot(runtime) == live
