"""Ticket queries a reader may ask, and the views the read model answers with.

A query is checked when it is built: a text filter with a NUL character (which
PostgreSQL cannot store in text) or over its length limit is an InvalidQuery, so
nothing malformed reaches SQL whoever builds the query (HTTP, CLI, tests).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from tickets.application.errors import InvalidQuery
from tickets.domain.status import TicketStatus
from tickets.domain.users import User

TEXT_FILTER_MAX = 200
"""Longest ``author`` or ``q`` filter, in characters."""
CURSOR_MAX = 500
PAGE_MAX = 100
NO_NUL = r"^[^\x00]*$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
"""A cursor's alphabet: base64url without padding (the read model's cursors are that)."""
"""A pattern for text parameters: anything but NUL (the OpenAPI documents it too)."""


class TicketSort(StrEnum):
    CREATED = "created_at"
    NEWEST = "-created_at"
    UPDATED = "updated_at"
    RECENTLY_UPDATED = "-updated_at"


def checked_text(field: str, value: str | None, limit: int) -> None:
    """InvalidQuery unless ``value`` is None or at most ``limit`` characters without NUL."""
    if value is None:
        return
    if "\x00" in value:
        raise InvalidQuery(field, f"{field} must not contain NUL characters")
    if len(value) > limit:
        raise InvalidQuery(field, f"{field} must be at most {limit} characters")


@dataclass(frozen=True)
class ListTickets:
    """One page of the tickets ``viewer`` may see, filtered and sorted."""

    viewer: User
    status: TicketStatus | None = None
    author: str | None = None
    """A user id or a user name."""
    q: str | None = None
    """Words that must all start a word of the title."""
    sort: TicketSort = TicketSort.NEWEST
    limit: int = 20
    cursor: str | None = None
    """Where the page starts: ``next_cursor`` of the page before."""

    def __post_init__(self) -> None:
        checked_text("author", self.author, TEXT_FILTER_MAX)
        checked_text("q", self.q, TEXT_FILTER_MAX)
        checked_text("cursor", self.cursor, CURSOR_MAX)
        if not 1 <= self.limit <= PAGE_MAX:
            raise InvalidQuery("limit", f"limit must be between 1 and {PAGE_MAX}")


@dataclass(frozen=True)
class GetTicketDetails:
    """A ticket with comments, decision and history; with ``min_version``, once the
    read model shows that version (waiting, bounded)."""

    viewer: User
    ticket_id: UUID
    min_version: int | None = None


@dataclass(frozen=True)
class GetTicketStats:
    """Counts by status over the tickets ``viewer`` may see."""

    viewer: User


@dataclass(frozen=True)
class Person:
    id: UUID
    name: str


@dataclass(frozen=True)
class TicketSummary:
    id: UUID
    title: str
    status: TicketStatus
    author: Person
    comment_count: int
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class TicketPage:
    items: list[TicketSummary]
    next_cursor: str | None


@dataclass(frozen=True)
class Decision:
    outcome: TicketStatus
    by: Person
    at: datetime
    reason: str | None


@dataclass(frozen=True)
class CommentView:
    id: UUID
    author: Person
    body: str
    created_at: datetime


@dataclass(frozen=True)
class HistoryEntry:
    event_type: str
    version: int
    actor: Person
    at: datetime


@dataclass(frozen=True)
class TicketDetails:
    id: UUID
    title: str
    description: str
    status: TicketStatus
    author: Person
    version: int
    created_at: datetime
    updated_at: datetime
    decision: Decision | None
    comments: list[CommentView]
    history: list[HistoryEntry]


@dataclass(frozen=True)
class TicketStats:
    counts: dict[TicketStatus, int]
    """Every status, zero included."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())
