"""What a user may ask of their notifications, and the views they are answered with.

A notification is written for a ticket's author on every decision (approved or
rejected); each user sees only their own.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tickets.application.errors import InvalidQuery
from tickets.application.queries import CURSOR_MAX, PAGE_MAX, checked_text
from tickets.domain.users import User


@dataclass(frozen=True)
class ListNotifications:
    """One page of ``viewer``'s notifications, newest first."""

    viewer: User
    unread_only: bool = False
    limit: int = 20
    cursor: str | None = None
    """Where the page starts: ``next_cursor`` of the page before."""

    def __post_init__(self) -> None:
        checked_text("cursor", self.cursor, CURSOR_MAX)
        if not 1 <= self.limit <= PAGE_MAX:
            raise InvalidQuery("limit", f"limit must be between 1 and {PAGE_MAX}")


@dataclass(frozen=True)
class MarkNotificationRead:
    """Mark one of ``actor``'s notifications read (again: no change)."""

    actor: User
    notification_id: UUID


@dataclass(frozen=True)
class MarkAllNotificationsRead:
    """Mark every unread notification of ``actor`` read."""

    actor: User


@dataclass(frozen=True)
class Notification:
    id: UUID
    ticket_id: UUID
    kind: str
    """``approved`` or ``rejected``."""
    text: str
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class NotificationPage:
    items: list[Notification]
    next_cursor: str | None


@dataclass(frozen=True)
class MarkedRead:
    marked: int
    """How many notifications were unread and are read now."""
