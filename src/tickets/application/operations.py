"""Outbox operations for admins: dead letters (list, inspect, retry, discard) and
the queue's status. Retry and discard are audited: who, when, what."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from tickets.application.errors import ApplicationError
from tickets.domain.errors import PermissionDenied
from tickets.domain.users import Role, User


class DeadLetterNotFound(ApplicationError):
    code = "dead_letter.not_found"


@dataclass(frozen=True)
class DeadLetter:
    id: UUID
    position: int
    ticket_id: UUID
    version: int
    event_type: str
    attempts: int
    last_error: str | None
    occurred_at: datetime
    held: int
    """How many later messages of the same ticket wait behind this one."""


@dataclass(frozen=True)
class Attempt:
    attempt: int
    handler: str
    error: str
    failed_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    action: str
    actor_id: UUID
    actor_name: str
    at: datetime


@dataclass(frozen=True)
class DeadLetterDetail:
    letter: DeadLetter
    status: str
    payload: dict[str, Any]
    metadata: dict[str, Any]
    attempts: list[Attempt]
    audit: list[AuditEntry]


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    held: int
    dead: int
    oldest_pending_age_seconds: float
    parked: list[DeadLetter]


class DeadLetterAdmin(Protocol):
    async def list_dead(self, limit: int) -> list[DeadLetter]: ...

    async def get(self, message_id: UUID) -> DeadLetterDetail | None: ...

    async def retry(self, message_id: UUID, actor: User) -> bool:
        """Make a dead letter pending again; False if it is not a dead letter."""

    async def discard(self, message_id: UUID, actor: User) -> bool:
        """Give up on a dead letter, releasing its ticket's later messages."""

    async def status(self) -> OutboxStatus: ...


def require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied("only admins operate the outbox")


async def show_dead_letter(
    admin: DeadLetterAdmin, actor: User, message_id: UUID
) -> DeadLetterDetail:
    require_admin(actor)
    detail = await admin.get(message_id)
    if detail is None:
        raise DeadLetterNotFound(f"no outbox message {message_id}")
    return detail


async def retry_dead_letter(
    admin: DeadLetterAdmin, actor: User, message_id: UUID
) -> DeadLetterDetail:
    require_admin(actor)
    if not await admin.retry(message_id, actor):
        raise DeadLetterNotFound(f"{message_id} is not a dead letter")
    return await show_dead_letter(admin, actor, message_id)


async def discard_dead_letter(
    admin: DeadLetterAdmin, actor: User, message_id: UUID
) -> DeadLetterDetail:
    require_admin(actor)
    if not await admin.discard(message_id, actor):
        raise DeadLetterNotFound(f"{message_id} is not a dead letter")
    return await show_dead_letter(admin, actor, message_id)
