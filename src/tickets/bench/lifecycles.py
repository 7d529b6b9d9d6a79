"""Ticket lifecycles at a steady rate through the message bus: create, submit, then
approve (two in three) or reject, each command with an Idempotency-Key as an HTTP
client would send. The storage benchmark and the soak test drive load with it."""

import asyncio
import time
import uuid
from dataclasses import dataclass, field

from tickets.application.commands import (
    ApproveTicket,
    Command,
    CreateTicket,
    RegisterUser,
    RejectTicket,
    SubmitTicket,
)
from tickets.application.messagebus import MessageBus
from tickets.application.ports import IdempotencyRequest, MessageContext
from tickets.application.results import TicketResult
from tickets.domain.users import Role, User

COMMANDS_PER_LIFECYCLE = 3


@dataclass
class Load:
    """What a run did: command latencies in seconds, lifecycles completed."""

    latencies: list[float] = field(default_factory=list)
    lifecycles: int = 0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


async def people(bus: MessageBus) -> tuple[User, User]:
    """A new requester and a new approver."""
    suffix = uuid.uuid4().hex[:8]
    context = MessageContext(correlation_id="bench-people")
    users = []
    for name, role in ((f"author-{suffix}", Role.REQUESTER), (f"approver-{suffix}", Role.APPROVER)):
        outcome = await bus.handle(RegisterUser(name=name, role=role), context)
        users.append(outcome.result.user())
    return users[0], users[1]


async def lifecycle(bus: MessageBus, author: User, approver: User, n: int, load: Load) -> None:
    created = await _timed(bus, CreateTicket(actor=author, title=f"Lifecycle {n}"), load)
    await _timed(bus, SubmitTicket(actor=author, ticket_id=created.id), load)
    if n % 3 == 2:
        decision: Command[TicketResult] = RejectTicket(
            actor=approver, ticket_id=created.id, reason="Not this quarter."
        )
    else:
        decision = ApproveTicket(actor=approver, ticket_id=created.id)
    await _timed(bus, decision, load)
    load.lifecycles += 1


async def steady(
    bus: MessageBus, per_second: float, seconds: float, users: tuple[User, User] | None = None
) -> Load:
    """Start a lifecycle every 1/per_second seconds for ``seconds`` (open loop: a slow
    command does not slow the arrivals), then wait for the started ones to finish.
    ``users``: the author and approver (default: new ones)."""
    author, approver = users or await people(bus)
    load = Load()
    running: set[asyncio.Task[None]] = set()
    interval = 1.0 / per_second
    next_at = time.perf_counter()
    end = next_at + seconds
    n = 0
    while next_at < end:
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        next_at += interval
        task = asyncio.create_task(lifecycle(bus, author, approver, n, load))
        running.add(task)
        task.add_done_callback(running.discard)
        n += 1
    await asyncio.gather(*running)
    return load


async def _timed(bus: MessageBus, command: Command[TicketResult], load: Load) -> TicketResult:
    key = uuid.uuid4().hex
    context = MessageContext(
        correlation_id="bench-lifecycle", idempotency=IdempotencyRequest(key, key)
    )
    started = time.perf_counter()
    outcome = await bus.handle(command, context)
    load.latencies.append(time.perf_counter() - started)
    return outcome.result
