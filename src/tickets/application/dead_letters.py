"""Dead letters as admins see them, and what admins may ask and do about them
(handled by dead_letter_admin.DeadLetterAdministration)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from tickets.domain.users import User


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


@dataclass(frozen=True)
class ListDeadLetters:
    actor: User
    limit: int = 100


@dataclass(frozen=True)
class ShowDeadLetter:
    actor: User
    message_id: UUID


@dataclass(frozen=True)
class GetOutboxStatus:
    actor: User


@dataclass(frozen=True)
class RetryDeadLetter:
    """Make a dead letter pending again, from its first attempt."""

    actor: User
    message_id: UUID


@dataclass(frozen=True)
class DiscardDeadLetter:
    """Give up on a dead letter; its ticket's later messages flow again."""

    actor: User
    message_id: UUID
