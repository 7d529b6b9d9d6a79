"""Response bodies of the query endpoints (read model)."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from tickets.api.schemas import AuthorOut
from tickets.readmodel.rows import TicketDetailsRow, TicketListRow, TicketPage


class TicketItemOut(BaseModel):
    id: UUID
    title: str
    status: str
    author: AuthorOut
    comment_count: int
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, r: TicketListRow) -> "TicketItemOut":
        return cls(
            id=r.id,
            title=r.title,
            status=r.status,
            author=AuthorOut(id=r.author_id, name=r.author_name),
            comment_count=r.comment_count,
            created_at=r.created_at,
            updated_at=r.updated_at,
            version=r.version,
        )


class TicketPageOut(BaseModel):
    items: list[TicketItemOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: TicketPage) -> "TicketPageOut":
        return cls(items=[TicketItemOut.of(r) for r in page.items], next_cursor=page.next_cursor)


class DecisionOut(BaseModel):
    outcome: str
    by: AuthorOut
    at: datetime
    reason: str | None


class CommentItemOut(BaseModel):
    id: UUID
    author: AuthorOut
    body: str
    created_at: datetime


class HistoryItemOut(BaseModel):
    event_type: str
    version: int
    actor: AuthorOut
    at: datetime


class TicketDetailsOut(BaseModel):
    id: UUID
    title: str
    description: str
    status: str
    author: AuthorOut
    version: int
    created_at: datetime
    updated_at: datetime
    decision: DecisionOut | None
    comments: list[CommentItemOut]
    history: list[HistoryItemOut]

    @classmethod
    def of(cls, r: TicketDetailsRow) -> "TicketDetailsOut":
        decision = None
        if r.decision and r.decided_by_id and r.decided_by_name and r.decided_at:
            decision = DecisionOut(
                outcome=r.decision,
                by=AuthorOut(id=r.decided_by_id, name=r.decided_by_name),
                at=r.decided_at,
                reason=r.reason,
            )
        return cls(
            id=r.id,
            title=r.title,
            description=r.description,
            status=r.status,
            author=AuthorOut(id=r.author_id, name=r.author_name),
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
            decision=decision,
            comments=[CommentItemOut(**c) for c in r.comments],
            history=[HistoryItemOut(**h) for h in r.history],
        )


class StatsOut(BaseModel):
    counts: dict[str, int]
    total: int
