"""Typed rows returned by the read-side queries."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Viewer:
    """Who is asking: requesters see only their own tickets."""

    user_id: UUID
    sees_all: bool


@dataclass(frozen=True)
class TicketListRow:
    id: UUID
    title: str
    status: str
    author_id: UUID
    author_name: str
    comment_count: int
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class TicketPage:
    items: list[TicketListRow]
    next_cursor: str | None


@dataclass(frozen=True)
class TicketDetailsRow:
    id: UUID
    title: str
    description: str
    status: str
    author_id: UUID
    author_name: str
    created_at: datetime
    updated_at: datetime
    version: int
    decided_by_id: UUID | None
    decided_by_name: str | None
    decided_at: datetime | None
    decision: str | None
    reason: str | None
    comments: list[dict[str, Any]]
    history: list[dict[str, Any]]
