"""Guarantee 7: two commands racing on one ticket never both win."""

import asyncio

import asyncpg
import pytest

from tests.integration.conftest import context, register
from tickets.application.commands import ApproveTicket, CreateTicket, SubmitTicket
from tickets.application.errors import ConcurrencyConflict, VersionMismatch
from tickets.application.results import TicketResult
from tickets.bootstrap import Runtime
from tickets.domain.errors import InvalidTransition
from tickets.domain.users import Role
from tickets.infrastructure.clock_and_ids import SystemClock


async def submitted_ticket(runtime: Runtime) -> TicketResult:
    author = await register(runtime)
    created = await runtime.bus.handle(CreateTicket(actor=author, title="race"), context())
    submitted = SubmitTicket(actor=author, ticket_id=created.result.id)
    return (await runtime.bus.handle(submitted, context())).result


async def test_interleaved_approvals_second_commit_loses(
    runtime: Runtime, db: asyncpg.Connection
) -> None:
    """Both load version 2; the second UPDATE ... WHERE version = 2 matches no row."""
    ticket = await submitted_ticket(runtime)
    first, second = await register(runtime, Role.APPROVER), await register(runtime, Role.APPROVER)
    factory = runtime.uow_factory
    now = SystemClock().now()

    async with factory(context()) as uow_a, factory(context()) as uow_b:
        loaded_a = await uow_a.tickets.get(ticket.id)
        loaded_b = await uow_b.tickets.get(ticket.id)
        assert loaded_a is not None
        assert loaded_b is not None
        loaded_a.approve(first, now)
        loaded_b.approve(second, now)
        await uow_a.commit()
        with pytest.raises(ConcurrencyConflict):
            await uow_b.commit()

    approvals = await db.fetch(
        "SELECT metadata->>'actor_id' AS actor FROM tickets.outbox_messages "
        "WHERE aggregate_id = $1 AND event_type = 'ticket.approved.v1'",
        ticket.id,
    )
    assert [r["actor"] for r in approvals] == [str(first.id)]


async def test_concurrent_approvals_through_the_bus_exactly_one_wins(
    runtime: Runtime, db: asyncpg.Connection
) -> None:
    for _ in range(5):
        ticket = await submitted_ticket(runtime)
        approvers = [await register(runtime, Role.APPROVER) for _ in range(2)]
        results = await asyncio.gather(
            *(
                runtime.bus.handle(ApproveTicket(actor=a, ticket_id=ticket.id), context())
                for a in approvers
            ),
            return_exceptions=True,
        )
        winners = [r for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert len(winners) == 1
        assert len(losers) == 1
        assert isinstance(losers[0], ConcurrencyConflict | InvalidTransition)
        count = await db.fetchval(
            "SELECT count(*) FROM tickets.outbox_messages "
            "WHERE aggregate_id = $1 AND event_type = 'ticket.approved.v1'",
            ticket.id,
        )
        assert count == 1


async def test_stale_expected_version_is_refused(runtime: Runtime) -> None:
    ticket = await submitted_ticket(runtime)
    approver = await register(runtime, Role.APPROVER)
    stale = ApproveTicket(actor=approver, ticket_id=ticket.id, expected_version=1)
    with pytest.raises(VersionMismatch):
        await runtime.bus.handle(stale, context())
    fresh = ApproveTicket(actor=approver, ticket_id=ticket.id, expected_version=ticket.version)
    outcome = await runtime.bus.handle(fresh, context())
    assert outcome.result.version == ticket.version + 1
