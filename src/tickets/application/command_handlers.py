"""Command handlers: load, call the domain, return a result. The bus commits.

``COMMAND_HANDLERS`` at the end is the one place where handlers are registered.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from tickets.application.commands import (
    AddComment,
    ApproveTicket,
    Command,
    CreateTicket,
    EditTicket,
    RegisterUser,
    RejectTicket,
    ReopenTicket,
    RunBatch,
    SubmitTicket,
    TicketCommand,
)
from tickets.application.errors import TicketNotFound, VersionMismatch
from tickets.application.ports import ClockAndIds, UnitOfWork
from tickets.application.results import (
    BatchResult,
    CommentResult,
    Result,
    TicketResult,
    UserResult,
)
from tickets.application.users import (
    ChangeUserRole,
    ProvisionUser,
    change_user_role,
    provision_user,
)
from tickets.domain.ticket import Ticket
from tickets.domain.users import User

C = TypeVar("C", bound=Command[Result])
CommandHandler = Callable[[Any, UnitOfWork, ClockAndIds], Awaitable[Result]]
"""A handler takes the one command type it is registered for (see ``_pair``)."""


async def _load(uow: UnitOfWork, cmd: TicketCommand[Result]) -> Ticket:
    """The ticket if the actor may see it (404 otherwise), at the expected version."""
    ticket = await uow.tickets.get(cmd.ticket_id)
    if ticket is None or not ticket.is_visible_to(cmd.actor):
        raise TicketNotFound(f"ticket {cmd.ticket_id} not found")
    if cmd.expected_version is not None and cmd.expected_version != ticket.version:
        raise VersionMismatch(cmd.expected_version, ticket.version)
    return ticket


async def register_user(
    cmd: RegisterUser, uow: UnitOfWork, clock_and_ids: ClockAndIds
) -> UserResult:
    """Log in: the user on record (whose role a login never changes), else a new one."""
    existing = await uow.users.get_by_name(cmd.name)
    if existing is None:
        user = User(clock_and_ids.ids.new_id(), cmd.name, frozenset({cmd.role}))
        if await uow.users.insert(user):
            return UserResult.of(user)
        existing = await uow.users.get_by_name(cmd.name)  # a concurrent first login won
        assert existing is not None, "an insert lost to a name that exists"
    existing.check_login_as(cmd.role)
    return UserResult.of(existing)


async def create_ticket(
    cmd: CreateTicket, uow: UnitOfWork, clock_and_ids: ClockAndIds
) -> TicketResult:
    ticket_id = cmd.ticket_id or clock_and_ids.ids.new_id()
    ticket = Ticket.create(
        ticket_id, cmd.actor, cmd.title, cmd.description, clock_and_ids.clock.now()
    )
    uow.tickets.add(ticket)
    return TicketResult.of(ticket)


async def _change(
    uow: UnitOfWork,
    cmd: TicketCommand[Result],
    clock_and_ids: ClockAndIds,
    act: Callable[[Ticket, datetime], None],
) -> TicketResult:
    """Load the ticket, let the domain change it at the clock's now, return it."""
    ticket = await _load(uow, cmd)
    act(ticket, clock_and_ids.clock.now())
    return TicketResult.of(ticket)


async def edit_ticket(cmd: EditTicket, uow: UnitOfWork, clock_and_ids: ClockAndIds) -> TicketResult:
    return await _change(
        uow, cmd, clock_and_ids, lambda t, now: t.edit(cmd.actor, cmd.title, cmd.description, now)
    )


async def submit_ticket(
    cmd: SubmitTicket, uow: UnitOfWork, clock_and_ids: ClockAndIds
) -> TicketResult:
    return await _change(uow, cmd, clock_and_ids, lambda t, now: t.submit(cmd.actor, now))


async def approve_ticket(
    cmd: ApproveTicket, uow: UnitOfWork, clock_and_ids: ClockAndIds
) -> TicketResult:
    return await _change(uow, cmd, clock_and_ids, lambda t, now: t.approve(cmd.actor, now))


async def reject_ticket(
    cmd: RejectTicket, uow: UnitOfWork, clock_and_ids: ClockAndIds
) -> TicketResult:
    return await _change(
        uow,
        cmd,
        clock_and_ids,
        lambda t, now: t.reject(cmd.actor, cmd.reason, now, cmd.reason_code),
    )


async def reopen_ticket(
    cmd: ReopenTicket, uow: UnitOfWork, clock_and_ids: ClockAndIds
) -> TicketResult:
    return await _change(uow, cmd, clock_and_ids, lambda t, now: t.reopen(cmd.actor, now))


async def add_comment(
    cmd: AddComment, uow: UnitOfWork, clock_and_ids: ClockAndIds
) -> CommentResult:
    ticket = await _load(uow, cmd)
    comment = ticket.add_comment(
        cmd.actor, clock_and_ids.ids.new_id(), cmd.body, clock_and_ids.clock.now()
    )
    return CommentResult.of(comment, ticket.version)


async def run_batch(cmd: RunBatch, uow: UnitOfWork, clock_and_ids: ClockAndIds) -> BatchResult:
    """Each command's own handler, all in this one unit of work (validated by the bus)."""
    for command in cmd.commands:
        await COMMAND_HANDLERS[type(command)](command, uow, clock_and_ids)
    return BatchResult(len(cmd.commands))


def _pair(
    command_type: type[C], handler: Callable[[C, UnitOfWork, ClockAndIds], Awaitable[Result]]
) -> tuple[type[Command[Result]], CommandHandler]:
    """A registry entry; mypy checks that the handler takes this command type."""
    return command_type, handler


COMMAND_HANDLERS: dict[type[Command[Result]], CommandHandler] = dict(
    [
        _pair(RegisterUser, register_user),
        _pair(CreateTicket, create_ticket),
        _pair(EditTicket, edit_ticket),
        _pair(SubmitTicket, submit_ticket),
        _pair(ApproveTicket, approve_ticket),
        _pair(RejectTicket, reject_ticket),
        _pair(ReopenTicket, reopen_ticket),
        _pair(AddComment, add_comment),
        _pair(RunBatch, run_batch),
        _pair(ChangeUserRole, change_user_role),
        _pair(ProvisionUser, provision_user),
    ]
)
"""The one place where handlers are registered."""
