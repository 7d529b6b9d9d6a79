"""Response bodies of the query endpoints (read model)."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from tickets.api.schemas import AuthorOut
from tickets.application.queries import (
    Person,
    TicketDetails,
    TicketPage,
    TicketStats,
    TicketSummary,
)
from tickets.domain.status import TicketStatus


def author(person: Person) -> AuthorOut:
    return AuthorOut(id=person.id, name=person.name)


class TicketItemOut(BaseModel):
    id: UUID
    title: str
    status: TicketStatus
    author: AuthorOut
    comment_count: int
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, r: TicketSummary) -> "TicketItemOut":
        return cls(
            id=r.id,
            title=r.title,
            status=r.status,
            author=author(r.author),
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
    outcome: TicketStatus
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
    status: TicketStatus
    author: AuthorOut
    version: int
    created_at: datetime
    updated_at: datetime
    decision: DecisionOut | None
    comments: list[CommentItemOut]
    history: list[HistoryItemOut]

    @classmethod
    def of(cls, r: TicketDetails) -> "TicketDetailsOut":
        decision = None
        if r.decision is not None:
            d = r.decision
            decision = DecisionOut(outcome=d.outcome, by=author(d.by), at=d.at, reason=d.reason)
        return cls(
            id=r.id,
            title=r.title,
            description=r.description,
            status=r.status,
            author=author(r.author),
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
            decision=decision,
            comments=[
                CommentItemOut(
                    id=c.id, author=author(c.author), body=c.body, created_at=c.created_at
                )
                for c in r.comments
            ],
            history=[
                HistoryItemOut(
                    event_type=h.event_type, version=h.version, actor=author(h.actor), at=h.at
                )
                for h in r.history
            ],
        )


class StatsOut(BaseModel):
    counts: dict[TicketStatus, int]
    total: int

    @classmethod
    def of(cls, stats: TicketStats) -> "StatsOut":
        return cls(counts=stats.counts, total=stats.total)
