"""Ticket queries, answered from the read model only (never the write tables)."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from starlette.exceptions import HTTPException

from tickets.api.auth.dependencies import CurrentUser, Services
from tickets.api.query_schemas import StatsOut, TicketDetailsOut, TicketPageOut
from tickets.api.schemas import ProblemOut
from tickets.application.errors import ReadModelBehind, TicketNotFound
from tickets.domain.users import User
from tickets.readmodel.cursor import Cursor, InvalidCursor
from tickets.readmodel.guard import current_version
from tickets.readmodel.queries import list_tickets, ticket_details, ticket_stats
from tickets.readmodel.rows import Viewer

router = APIRouter(
    prefix="/tickets",
    tags=["queries"],
    responses={
        401: {"model": ProblemOut, "description": "missing or invalid token"},
        422: {"model": ProblemOut, "description": "a filter, sort, limit or cursor not allowed"},
    },
)
Sort = Literal["created_at", "-created_at", "updated_at", "-updated_at"]
Status = Literal["draft", "submitted", "approved", "rejected"]
STALE: dict[int | str, dict[str, Any]] = {
    404: {"model": ProblemOut, "description": "no such ticket, or not visible to you"},
    503: {"model": ProblemOut, "description": "min_version not reached in time"},
}


def viewer(user: User) -> Viewer:
    return Viewer(user.id, user.sees_all_tickets)


@router.get(
    "", name="list_tickets", summary="List visible tickets: filters, sort, keyset pagination"
)
async def list_(
    services: Services,
    user: CurrentUser,
    status: Status | None = None,
    author: Annotated[str | None, Query(max_length=200, description="user id or name")] = None,
    q: Annotated[str | None, Query(max_length=200, description="words in the title")] = None,
    sort: Sort = "-created_at",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> TicketPageOut:
    try:
        after = Cursor.decode(cursor, sort) if cursor else None
    except InvalidCursor as error:
        raise HTTPException(422, str(error)) from None
    async with services.read_pool.acquire() as connection:
        page = await list_tickets(
            connection,
            viewer(user),
            status=status,
            author=author,
            q=q,
            sort=sort,
            limit=limit,
            cursor=after,
        )
    return TicketPageOut.of(page)


@router.get("/stats", name="ticket_stats", summary="Counts by status over the tickets you can see")
async def stats(services: Services, user: CurrentUser) -> StatsOut:
    async with services.read_pool.acquire() as connection:
        counts = await ticket_stats(connection, viewer(user))
    return StatsOut(counts=counts, total=sum(counts.values()))


@router.get(
    "/{ticket_id}",
    name="get_ticket",
    summary="A ticket with comments, decision and history",
    description=(
        "With `min_version=N` the request waits, at most `TICKETS_READ_WAIT_SECONDS` "
        "(default 5), until the read model shows version N or later: a client reads its "
        "own write without polling. If the version is not reached in time the answer is "
        "503 `readmodel.behind` with `Retry-After: 1` (404 if the ticket is not there at "
        "all)."
    ),
    responses=STALE,
)
async def details(
    ticket_id: UUID,
    response: Response,
    services: Services,
    user: CurrentUser,
    min_version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> TicketDetailsOut:
    pool = services.read_pool
    if min_version is not None:

        async def version_now() -> int | None:
            async with pool.acquire() as connection:
                return await current_version(connection, "read.ticket_details", ticket_id)

        await services.freshness.wait_for(
            ticket_id, min_version, version_now, services.read_wait_seconds
        )
    async with pool.acquire() as connection:
        row = await ticket_details(connection, viewer(user), ticket_id)
    if row is None:
        raise TicketNotFound(f"ticket {ticket_id} not found")
    if min_version is not None and row.version < min_version:
        raise ReadModelBehind(row.version, min_version)
    response.headers["ETag"] = f'"{row.version}"'
    return TicketDetailsOut.of(row)
