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
    subscription: str
    """The subscription this ticket is parked for (the others are not held by it)."""


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
class SubscriptionStatus:
    """How far one subscription is behind the log, and its parked tickets."""

    subscription: str
    lag_events: int
    lag_seconds: float
    retrying: int
    dead: int


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    """The furthest-behind subscription's lag in events."""
    held: int
    """Events held behind the dead letters listed in ``parked``."""
    dead: int
    oldest_pending_age_seconds: float
    """The furthest-behind subscription's lag in seconds."""
    parked: list[DeadLetter]
    subscriptions: list[SubscriptionStatus]


@dataclass(frozen=True)
class ListDeadLetters:
    actor: User
    limit: int = 100


@dataclass(frozen=True)
class ShowDeadLetter:
    actor: User
    message_id: UUID
    subscription: str | None = None
    """Only this subscription's dead letter; by default every one of this message."""


@dataclass(frozen=True)
class GetOutboxStatus:
    actor: User


@dataclass(frozen=True)
class RetryDeadLetter:
    """Make a dead letter pending again, from its first attempt."""

    actor: User
    message_id: UUID
    subscription: str | None = None
    """Only this subscription's dead letter; by default every one of this message."""


@dataclass(frozen=True)
class DiscardDeadLetter:
    """Give up on a dead letter; its ticket's later messages flow again."""

    actor: User
    message_id: UUID
    subscription: str | None = None
    """Only this subscription's dead letter; by default every one of this message."""
