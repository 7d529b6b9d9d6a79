"""Handing a page to its subscriber and, when that fails, finding what fails: the page
again ticket by ticket (under savepoints inside a transaction), and within a failing
ticket event by event, so that the events before the failing one keep their effect and
the ticket is parked from it. ``HandlerUnavailable`` and a lost database are not a
failing ticket: they propagate, for the caller to postpone or back off."""

from collections import defaultdict
from uuid import UUID

from tickets.domain.events import DomainEvent
from tickets.infrastructure.database import is_connection_error
from tickets.infrastructure.outbox.messages import OutboxMessage
from tickets.infrastructure.outbox.subscriptions import (
    Connection,
    HandlerUnavailable,
    Subscription,
)


async def call_handler(
    subscription: Subscription,
    connection: Connection | None,
    messages: list[OutboxMessage],
    events: dict[UUID, DomainEvent],
) -> None:
    await subscription.handler.deliver(connection, [(m, events[m.id]) for m in messages])


async def apply_isolating(
    connection: Connection | None,
    subscription: Subscription,
    todo: list[OutboxMessage],
    events: dict[UUID, DomainEvent],
    poison: dict[UUID, str],
) -> list[tuple[OutboxMessage, str]]:
    """Apply ``todo`` ticket by ticket (under savepoints in a transaction). Returns
    each failed ticket's failing message with its error; HandlerUnavailable and a
    lost database propagate."""
    by_ticket: dict[UUID, list[OutboxMessage]] = defaultdict(list)
    for m in sorted(todo, key=lambda m: (m.aggregate_id, m.aggregate_version)):
        by_ticket[m.aggregate_id].append(m)
    failed: list[tuple[OutboxMessage, str]] = []
    for ticket, messages in list(by_ticket.items()):
        bad = next((i for i, m in enumerate(messages) if m.id in poison), None)
        if bad is not None:  # undecodable: the events before it still go
            failed.append((messages[bad], poison[messages[bad].id]))
            by_ticket[ticket] = messages[:bad]
    failed_early = {m.aggregate_id for m, _ in failed}
    for messages in by_ticket.values():
        if not messages:
            continue
        try:
            await _apply(connection, subscription, messages, events)
        except HandlerUnavailable:
            raise
        except Exception as error:
            if is_connection_error(error):
                raise
            if messages[0].aggregate_id in failed_early:
                failed = [f for f in failed if f[0].aggregate_id != messages[0].aggregate_id]
            first = await _first_failing(connection, subscription, messages, events, error)
            failed.append(first)
    return failed


async def _first_failing(
    connection: Connection | None,
    subscription: Subscription,
    messages: list[OutboxMessage],
    events: dict[UUID, DomainEvent],
    error: Exception,
) -> tuple[OutboxMessage, str]:
    """One ticket's events one at a time, up to the one that fails: those before it
    keep their effect, and the ticket is parked from the failing one."""
    if len(messages) == 1:
        return messages[0], describe(error)
    for m in messages:
        try:
            await _apply(connection, subscription, [m], events)
        except HandlerUnavailable:
            raise
        except Exception as single:
            if is_connection_error(single):
                raise
            return m, describe(single)
    return messages[0], describe(error)  # fails only as a whole: park it whole


async def _apply(
    connection: Connection | None,
    subscription: Subscription,
    messages: list[OutboxMessage],
    events: dict[UUID, DomainEvent],
) -> None:
    """Apply under a savepoint (inside a transaction) so a failure undoes only this."""
    if connection is None:
        await call_handler(subscription, None, messages, events)
        return
    async with connection.transaction():
        await call_handler(subscription, connection, messages, events)


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:4000]
