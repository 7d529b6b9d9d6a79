"""Command objects: what a caller asks the system to do, and what it gets back.

``Command[R]`` names its result type ``R``, so ``MessageBus.handle`` returns an
``Outcome[R]`` that callers use without checking its type.
"""

import re
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from tickets.application.errors import InvalidCommand
from tickets.application.results import BatchResult, CommentResult, Result, TicketResult, UserResult
from tickets.domain.rejection import RejectionCode
from tickets.domain.users import Role, User

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")

# Covariant: a command only names its result type, so a Command[TicketResult] is a
# Command[Result] wherever any command is accepted (the pipeline behaviours).
R = TypeVar("R", bound=Result, covariant=True)


@dataclass(frozen=True, kw_only=True)
class Command(Generic[R]):
    def validate(self) -> None:
        """Structural checks that need no state; business rules live in the domain."""

    def idempotency_scope(self) -> str:
        """Idempotency keys are unique per scope: the acting user, or anonymous."""
        return "anonymous"


@dataclass(frozen=True, kw_only=True)
class RegisterUser(Command[UserResult]):
    """Find a user by name, creating them on first use, with the given role."""

    name: str
    role: Role

    def validate(self) -> None:
        if not USERNAME.fullmatch(self.name):
            raise InvalidCommand(
                "username",
                "username must be 1-64 characters: letters, digits and _ . @ - "
                "(starting with a letter or digit)",
            )


@dataclass(frozen=True, kw_only=True)
class TicketCommand(Command[R]):
    """A command on one existing ticket, optionally guarded by an expected version."""

    actor: User
    ticket_id: UUID
    expected_version: int | None = None

    def idempotency_scope(self) -> str:
        return str(self.actor.id)


@dataclass(frozen=True, kw_only=True)
class CreateTicket(Command[TicketResult]):
    actor: User
    title: str = ""
    description: str = ""
    ticket_id: UUID | None = None
    """Chosen by a trusted caller (the seeder) to name the ticket in later commands."""

    def idempotency_scope(self) -> str:
        return str(self.actor.id)


@dataclass(frozen=True, kw_only=True)
class EditTicket(TicketCommand[TicketResult]):
    title: str | None = None
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class SubmitTicket(TicketCommand[TicketResult]):
    pass


@dataclass(frozen=True, kw_only=True)
class ApproveTicket(TicketCommand[TicketResult]):
    pass


@dataclass(frozen=True, kw_only=True)
class RejectTicket(TicketCommand[TicketResult]):
    reason: str
    reason_code: RejectionCode = RejectionCode.UNSPECIFIED


@dataclass(frozen=True, kw_only=True)
class ReopenTicket(TicketCommand[TicketResult]):
    pass


@dataclass(frozen=True, kw_only=True)
class AddComment(TicketCommand[CommentResult]):
    body: str


@dataclass(frozen=True, kw_only=True)
class RunBatch(Command[BatchResult]):
    """Many commands in one unit of work and one commit, for bulk loads (the seeder):
    the same handlers, domain rules and outbox rows, far fewer round trips. A refused
    command rolls the whole batch back."""

    commands: tuple[Command[Result], ...]

    def validate(self) -> None:
        for command in self.commands:
            if isinstance(command, RunBatch):
                raise InvalidCommand("commands", "a batch cannot contain a batch")
            command.validate()
