"""Command handlers: load, call the domain, return a result. The bus commits."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tickets.application.commands import (
    AddComment,
    ApproveTicket,
    Command,
    CreateTicket,
    EditTicket,
    RegisterUser,
    RejectTicket,
    ReopenTicket,
    SubmitTicket,
    TicketCommand,
)
from tickets.application.errors import TicketNotFound, VersionMismatch
from tickets.application.ports import Clock, IdSource, UnitOfWork
from tickets.application.results import CommentResult, Result, TicketResult, UserResult
from tickets.domain.ticket import Ticket
from tickets.domain.users import User


@dataclass(frozen=True)
class Deps:
    clock: Clock
    ids: IdSource


Handler = Callable[[Any, UnitOfWork, Deps], Awaitable[Result]]


async def _load(uow: UnitOfWork, cmd: TicketCommand) -> Ticket:
    """The ticket if the actor may see it (404 otherwise), at the expected version."""
    ticket = await uow.tickets.get(cmd.ticket_id)
    if ticket is None or not ticket.is_visible_to(cmd.actor):
        raise TicketNotFound(f"ticket {cmd.ticket_id} not found")
    if cmd.expected_version is not None and cmd.expected_version != ticket.version:
        raise VersionMismatch(cmd.expected_version, ticket.version)
    return ticket


async def register_user(cmd: RegisterUser, uow: UnitOfWork, deps: Deps) -> UserResult:
    existing = await uow.users.get_by_name(cmd.name)
    user_id = existing.id if existing else deps.ids.new_id()
    user = User(user_id, cmd.name, frozenset({cmd.role}))
    if user != existing:
        user = await uow.users.save(user)
    return UserResult.of(user)


async def create_ticket(cmd: CreateTicket, uow: UnitOfWork, deps: Deps) -> TicketResult:
    ticket_id = cmd.ticket_id or deps.ids.new_id()
    ticket = Ticket.create(ticket_id, cmd.actor, cmd.title, cmd.description, deps.clock.now())
    uow.tickets.add(ticket)
    return TicketResult.of(ticket)


async def edit_ticket(cmd: EditTicket, uow: UnitOfWork, deps: Deps) -> TicketResult:
    ticket = await _load(uow, cmd)
    ticket.edit(cmd.actor, cmd.title, cmd.description, deps.clock.now())
    return TicketResult.of(ticket)


async def submit_ticket(cmd: SubmitTicket, uow: UnitOfWork, deps: Deps) -> TicketResult:
    ticket = await _load(uow, cmd)
    ticket.submit(cmd.actor, deps.clock.now())
    return TicketResult.of(ticket)


async def approve_ticket(cmd: ApproveTicket, uow: UnitOfWork, deps: Deps) -> TicketResult:
    ticket = await _load(uow, cmd)
    ticket.approve(cmd.actor, deps.clock.now())
    return TicketResult.of(ticket)


async def reject_ticket(cmd: RejectTicket, uow: UnitOfWork, deps: Deps) -> TicketResult:
    ticket = await _load(uow, cmd)
    ticket.reject(cmd.actor, cmd.reason, deps.clock.now())
    return TicketResult.of(ticket)


async def reopen_ticket(cmd: ReopenTicket, uow: UnitOfWork, deps: Deps) -> TicketResult:
    ticket = await _load(uow, cmd)
    ticket.reopen(cmd.actor, deps.clock.now())
    return TicketResult.of(ticket)


async def add_comment(cmd: AddComment, uow: UnitOfWork, deps: Deps) -> CommentResult:
    ticket = await _load(uow, cmd)
    comment = ticket.add_comment(cmd.actor, deps.ids.new_id(), cmd.body, deps.clock.now())
    return CommentResult.of(comment, ticket.version)


COMMAND_HANDLERS: dict[type[Command], Handler] = {
    RegisterUser: register_user,
    CreateTicket: create_ticket,
    EditTicket: edit_ticket,
    SubmitTicket: submit_ticket,
    ApproveTicket: approve_ticket,
    RejectTicket: reject_ticket,
    ReopenTicket: reopen_ticket,
    AddComment: add_comment,
}
"""The one place where handlers are registered."""
