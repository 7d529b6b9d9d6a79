"""Command objects: what a caller asks the system to do."""

import re
from dataclasses import dataclass
from uuid import UUID

from tickets.application.errors import InvalidCommand
from tickets.domain.users import Role, User

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


@dataclass(frozen=True, kw_only=True)
class Command:
    def validate(self) -> None:
        """Structural checks that need no state; business rules live in the domain."""

    def idempotency_scope(self) -> str:
        """Idempotency keys are unique per scope: the acting user, or anonymous."""
        return "anonymous"


@dataclass(frozen=True, kw_only=True)
class RegisterUser(Command):
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
class TicketCommand(Command):
    """A command on one existing ticket, optionally guarded by an expected version."""

    actor: User
    ticket_id: UUID
    expected_version: int | None = None

    def idempotency_scope(self) -> str:
        return str(self.actor.id)


@dataclass(frozen=True, kw_only=True)
class CreateTicket(Command):
    actor: User
    title: str = ""
    description: str = ""
    ticket_id: UUID | None = None
    """Chosen by a trusted caller (the seeder) to name the ticket in later commands."""

    def idempotency_scope(self) -> str:
        return str(self.actor.id)


@dataclass(frozen=True, kw_only=True)
class EditTicket(TicketCommand):
    title: str | None = None
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class SubmitTicket(TicketCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class ApproveTicket(TicketCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class RejectTicket(TicketCommand):
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReopenTicket(TicketCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class AddComment(TicketCommand):
    body: str
