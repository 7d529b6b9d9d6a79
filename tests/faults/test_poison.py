"""Guarantee 5: a poison event is retried, parked, holds only its own ticket back, and
can be inspected, retried after a fix, or discarded."""

import uuid

from tests.faults.conftest import dispatcher_for, effects
from tests.faults.recording_handlers import Failing
from tickets.application.dead_letter_admin import DeadLetterAdministration
from tickets.application.dead_letters import RetryDeadLetter
from tickets.bootstrap import Runtime
from tickets.cli.outbox import operator
from tickets.domain.events import DomainEvent
from tickets.infrastructure.outbox.drain import drain
from tickets.testing.synthetic_events import insert_events, ticket_events


async def parked(runtime: Runtime) -> tuple[Failing, uuid.UUID, uuid.UUID]:
    """Ticket A's version 2 is poison; ticket B is healthy. Both have 4 events."""
    poisoned_ticket, healthy_ticket = uuid.uuid4(), uuid.uuid4()

    def is_poison(event: DomainEvent) -> bool:
        return event.ticket_id == poisoned_ticket and event.version == 2

    handler = Failing("projector", poisoned=is_poison)
    await insert_events(runtime.pools.write, ticket_events(poisoned_ticket, 4))
    await insert_events(runtime.pools.write, ticket_events(healthy_ticket, 4))
    await drain(dispatcher_for(runtime, handler))
    return handler, poisoned_ticket, healthy_ticket


async def test_poison_event_is_dead_after_max_attempts_with_its_error(runtime: Runtime) -> None:
    _, poisoned_ticket, _ = await parked(runtime)

    letters = await runtime.dead_letters.list_dead(10)

    assert [(d.ticket_id, d.version) for d in letters] == [(poisoned_ticket, 2)]
    letter = letters[0]
    assert letter.attempts == 3  # outbox_max_attempts in the fault runtime
    assert letter.last_error is not None
    assert "poison: cannot handle comment.added.v1 v2" in letter.last_error
    detail = await runtime.dead_letters.get(letter.id)
    assert detail is not None
    assert detail.status == "dead"
    assert [a.attempt for a in detail.attempts] == [1, 2, 3]
    assert all("poison" in a.error for a in detail.attempts)
    assert detail.payload["body"] == "c2"


async def test_poison_holds_its_ticket_back_while_others_flow(runtime: Runtime) -> None:
    _, poisoned_ticket, healthy_ticket = await parked(runtime)

    applied = await effects(runtime.pools.write, "projector")

    assert [v for t, v in applied if t == healthy_ticket] == [1, 2, 3, 4]
    assert [v for t, v in applied if t == poisoned_ticket] == [1]
    status = await runtime.dead_letters.status()
    assert status.dead == 1
    assert status.held == 2
    assert [(p.ticket_id, p.held) for p in status.parked] == [(poisoned_ticket, 2)]


async def test_retry_after_a_fix_delivers_everything_in_order(runtime: Runtime) -> None:
    handler, poisoned_ticket, _ = await parked(runtime)
    [letter] = await runtime.dead_letters.list_dead(10)

    handler.fixed = True
    await DeadLetterAdministration(runtime.dead_letters).retry(
        RetryDeadLetter(operator(), letter.id)
    )
    await drain(dispatcher_for(runtime, handler))

    applied = [
        v for t, v in await effects(runtime.pools.write, "projector") if t == poisoned_ticket
    ]
    assert applied == [1, 2, 3, 4]
    detail = await runtime.dead_letters.get(letter.id)
    assert detail is not None
    assert detail.status == "delivered"
    assert [(a.action, a.actor_name) for a in detail.audit] == [("retry", operator().name)]
    assert (await runtime.dead_letters.status()).dead == 0


async def test_discard_releases_the_ticket_and_is_audited(runtime: Runtime) -> None:
    handler, poisoned_ticket, _ = await parked(runtime)
    [letter] = await runtime.dead_letters.list_dead(10)

    assert await runtime.dead_letters.discard(letter.id, operator())
    await drain(dispatcher_for(runtime, handler))

    applied = [
        v for t, v in await effects(runtime.pools.write, "projector") if t == poisoned_ticket
    ]
    assert applied == [1, 3, 4]
    detail = await runtime.dead_letters.get(letter.id)
    assert detail is not None
    assert detail.status == "discarded"
    assert [a.action for a in detail.audit] == ["discard"]
    assert not await runtime.dead_letters.retry(letter.id, operator()), "no longer dead"
