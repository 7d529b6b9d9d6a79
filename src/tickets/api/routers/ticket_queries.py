"""Ticket queries, answered from the read model only (never the write tables)."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from tickets.api.auth.dependencies import CurrentUser, services_of
from tickets.api.query_params import OptionalQuery
from tickets.api.query_schemas import (
    StatsOut,
    TicketDetailsOut,
    TicketPageOut,
    details_response,
    page_response,
)
from tickets.api.schemas import ProblemOut
from tickets.application.queries import (
    CURSOR_MAX,
    CURSOR_PATTERN,
    NO_NUL,
    PAGE_MAX,
    TEXT_FILTER_MAX,
    GetTicketDetails,
    GetTicketStats,
    ListTickets,
    TicketSort,
    TicketStats,
)
from tickets.domain.status import TicketStatus

router = APIRouter(prefix="/tickets", tags=["queries"])
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ProblemOut,
        "description": "a filter, sort, limit or cursor not allowed, or a cursor this "
        "service did not issue for this sort",
    },
}
DETAILS_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ProblemOut, "description": "no such ticket, or not visible to you"},
    422: {
        "model": ProblemOut,
        "description": "a ticket id that is not a UUID, or a min_version out of range",
    },
    409: {
        "model": ProblemOut,
        "description": "`ticket.version_not_written`: min_version is beyond the ticket's "
        "current version, so no wait could reach it",
    },
    503: {
        "model": ProblemOut,
        "description": "`readmodel.behind`: min_version not reached in time; or "
        "`service.unavailable`: the database cannot be reached",
    },
}


# Read by the route itself, not declared to FastAPI: see tickets.api.query_params.
MIN_VERSION = OptionalQuery[int](
    "min_version",
    Annotated[int, Field(ge=1, le=2**31 - 1)],
    "wait for this version or later",
)
CURSOR_TEXT = "next_cursor of the page before, as it was given (base64url, no padding)"


def text(description: str, limit: int = TEXT_FILTER_MAX, pattern: str = NO_NUL) -> Any:
    """A text query parameter: bounded length, no NUL (PostgreSQL cannot hold one)."""
    return Query(max_length=limit, pattern=pattern, description=description)


@router.get(
    "",
    name="list_tickets",
    summary="List visible tickets: filters, sort, keyset pagination",
    responses=LIST_RESPONSES,
    response_model=TicketPageOut,
)
async def list_(
    request: Request,
    user: CurrentUser,
    status: TicketStatus | None = None,
    author: Annotated[str | None, text("user id or name")] = None,
    q: Annotated[str | None, text("words in the title")] = None,
    sort: TicketSort = TicketSort.NEWEST,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 20,
    cursor: Annotated[str | None, text(CURSOR_TEXT, CURSOR_MAX, CURSOR_PATTERN)] = None,
) -> Response:
    query = ListTickets(user, status, author, q, sort, limit, cursor)
    return page_response(await services_of(request).queries.list(query))


@router.get(
    "/stats",
    name="ticket_stats",
    summary="Counts by status over the tickets you can see",
    response_model=StatsOut,
)
async def stats(request: Request, user: CurrentUser) -> TicketStats:
    return await services_of(request).queries.stats(GetTicketStats(user))


@router.get(
    "/{ticket_id}",
    name="get_ticket",
    summary="A ticket with comments, decision and history",
    description=(
        "With `min_version=N` the request waits, at most `TICKETS_READ_WAIT_SECONDS` "
        "(default 5), until the read model shows version N or later: a client reads its "
        "own write without polling. If the version is not reached in time the answer is "
        "503 `readmodel.behind` with `Retry-After: 1`; a version beyond the ticket's "
        "current one (no command wrote it) is 409 `ticket.version_not_written` at once. "
        "A ticket you may not see is 404 at once: nothing is waited for. A ticket just "
        "created is waited for like any other version; without `min_version` it is 404 "
        "until the read model shows it."
    ),
    responses=DETAILS_RESPONSES,
    response_model=TicketDetailsOut,
    openapi_extra={"parameters": [MIN_VERSION.openapi]},
)
async def details(ticket_id: UUID, request: Request, user: CurrentUser) -> Response:
    query = GetTicketDetails(user, ticket_id, MIN_VERSION.read(request))
    return details_response(await services_of(request).queries.details(query))
