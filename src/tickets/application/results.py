"""What commands return, and their JSON form for stored idempotent responses."""

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any
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


Result = TicketResult | CommentResult | UserResult
_KINDS: dict[str, type[Result]] = {
    "ticket": TicketResult,
    "comment": CommentResult,
    "user": UserResult,
}
_CONVERT: dict[str, Any] = {
    "id": UUID,
    "ticket_id": UUID,
    "author_id": UUID,
    "status": TicketStatus,
    "created_at": datetime.fromisoformat,
    "updated_at": datetime.fromisoformat,
    "roles": lambda roles: tuple(Role(r) for r in roles),
}


def result_to_json(result: Result) -> dict[str, Any]:
    kind = next(k for k, cls in _KINDS.items() if isinstance(result, cls))
    data = {k: _plain(v) for k, v in asdict(result).items()}
    return {"kind": kind, "data": data}


def result_from_json(document: dict[str, Any]) -> Result:
    cls = _KINDS[document["kind"]]
    data = document["data"]
    values = {f.name: _CONVERT.get(f.name, lambda v: v)(data[f.name]) for f in fields(cls)}
    return cls(**values)


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
