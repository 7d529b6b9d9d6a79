"""What commands return: plain data, built from the domain objects they report on."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tickets.domain.status import TicketStatus
from tickets.domain.ticket import Comment, Ticket
from tickets.domain.users import Role, User


@dataclass(frozen=True)
class TicketResult:
    id: UUID
    title: str
    description: str
    status: TicketStatus
    author_id: UUID
    author_name: str
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, ticket: Ticket) -> "TicketResult":
        return cls(
            ticket.id,
            ticket.title,
            ticket.description,
            ticket.status,
            ticket.author_id,
            ticket.author_name,
            ticket.version,
            ticket.created_at,
            ticket.updated_at,
        )


@dataclass(frozen=True)
class CommentResult:
    id: UUID
    ticket_id: UUID
    author_id: UUID
    author_name: str
    body: str
    created_at: datetime
    version: int

    @classmethod
    def of(cls, comment: Comment, ticket_version: int) -> "CommentResult":
        return cls(
            comment.id,
            comment.ticket_id,
            comment.author_id,
            comment.author_name,
            comment.body,
            comment.created_at,
            ticket_version,
        )


@dataclass(frozen=True)
class UserResult:
    id: UUID
    name: str
    roles: tuple[Role, ...]

    @classmethod
    def of(cls, user: User) -> "UserResult":
        return cls(user.id, user.name, tuple(sorted(user.roles)))

    def user(self) -> User:
        """The user this result describes, to act as (issue a token, send commands)."""
        return User(self.id, self.name, frozenset(self.roles))


@dataclass(frozen=True)
class BatchResult:
    commands: int
    """How many commands the batch ran."""


Result = TicketResult | CommentResult | UserResult | BatchResult
"""Every result a command returns; an idempotency store keeps any of them."""
