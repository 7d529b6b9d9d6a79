"""Response bodies of the query endpoints (read model).

Each model's fields carry the names of the application view it describes (TicketPage,
TicketDetails, TicketStats). The stats route returns its view and FastAPI validates it
into StatsOut by attribute names; list pages and details are written as JSON straight
from their views (``page_response``, ``details_response``, see below)."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import Response
from pydantic import BaseModel, TypeAdapter

from tickets.api.schemas import AuthorOut
from tickets.application.queries import TicketDetails, TicketPage
from tickets.domain.status import TicketStatus


class TicketItemOut(BaseModel):
    id: UUID
    title: str
    status: TicketStatus
    author: AuthorOut
    comment_count: int
    created_at: datetime
    updated_at: datetime
    version: int


class TicketPageOut(BaseModel):
    items: list[TicketItemOut]
    next_cursor: str | None


# The list page and the details are written as JSON straight from the application's
# views, the bodies TicketPageOut and TicketDetailsOut describe (they stay the routes'
# response models, for the OpenAPI document): validating a view into its model first
# would do the work of writing it twice (see docs/benchmarks.md).
# tests/unit/test_query_schemas.py checks that both ways give the same JSON; the
# contract tests check the bodies.
_PAGE_JSON = TypeAdapter(TicketPage)
_DETAILS_JSON = TypeAdapter(TicketDetails)


def page_response(page: TicketPage) -> Response:
    return Response(_PAGE_JSON.dump_json(page), media_type="application/json")


def details_response(details: TicketDetails) -> Response:
    etag = {"ETag": f'"{details.version}"'}
    return Response(_DETAILS_JSON.dump_json(details), media_type="application/json", headers=etag)


class DecisionOut(BaseModel):
    outcome: Literal[TicketStatus.APPROVED, TicketStatus.REJECTED]
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


class StatsOut(BaseModel):
    counts: dict[TicketStatus, int]
    total: int
