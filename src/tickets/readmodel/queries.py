"""Read-side queries in raw SQL over the `read` schema, mapped to typed rows."""

import re
from typing import Any
from uuid import UUID

from tickets.readmodel.cursor import Cursor
from tickets.readmodel.rows import TicketDetailsRow, TicketListRow, TicketPage, Viewer

SORTS = {
    "created_at": ("created_at", "ASC", ">"),
    "-created_at": ("created_at", "DESC", "<"),
    "updated_at": ("updated_at", "ASC", ">"),
    "-updated_at": ("updated_at", "DESC", "<"),
}
STATUSES = ("draft", "submitted", "approved", "rejected")
LIST_COLUMNS = """ticket_id, title, status, author_id, author_name, comment_count,
                  created_at, updated_at, version"""
WORD = re.compile(r"\w+", re.UNICODE)


def title_query(q: str) -> str | None:
    """A tsquery matching titles that contain every word of ``q`` as a prefix."""
    words = [w.lower() for w in WORD.findall(q)][:8]
    return " & ".join(f"{w}:*" for w in words) or None


def list_query(
    viewer: Viewer,
    *,
    status: str | None = None,
    author: str | None = None,
    q: str | None = None,
    sort: str = "-created_at",
    limit: int = 20,
    cursor: Cursor | None = None,
) -> tuple[str, list[object]] | None:
    """The SQL and arguments of one list page (None: nothing can match)."""
    column, direction, compare = SORTS[sort]
    where: list[str] = []
    args: list[object] = []

    def arg(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    if not viewer.sees_all:
        where.append(f"author_id = {arg(viewer.user_id)}")
    if status is not None:
        where.append(f"status = {arg(status)}")
    if author is not None:
        author_id = _uuid_or_none(author)
        if author_id is not None:
            where.append(f"author_id = {arg(author_id)}")
        else:
            where.append(f"author_name = {arg(author)}")
    if q is not None:
        tsquery = title_query(q)
        if tsquery is None:
            return None
        where.append(f"title_search @@ to_tsquery('simple', {arg(tsquery)})")
    if cursor is not None:
        where.append(f"({column}, ticket_id) {compare} ({arg(cursor.at)}, {arg(cursor.id)})")
    sql = (
        f"SELECT {LIST_COLUMNS} FROM read.ticket_list"
        f"{' WHERE ' + ' AND '.join(where) if where else ''}"
        f" ORDER BY {column} {direction}, ticket_id {direction} LIMIT {arg(limit + 1)}"
    )
    return sql, args


async def list_tickets(
    connection: Any,
    viewer: Viewer,
    *,
    status: str | None = None,
    author: str | None = None,
    q: str | None = None,
    sort: str = "-created_at",
    limit: int = 20,
    cursor: Cursor | None = None,
) -> TicketPage:
    query = list_query(
        viewer, status=status, author=author, q=q, sort=sort, limit=limit, cursor=cursor
    )
    if query is None:
        return TicketPage([], None)
    rows = [TicketListRow(*r) for r in await connection.fetch(*query[:1], *query[1])]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        column = SORTS[sort][0]
        next_cursor = Cursor(sort, getattr(last, column), last.id).encode()
    return TicketPage(rows, next_cursor)


DETAILS = """SELECT ticket_id, title, description, status, author_id, author_name, created_at,
                    updated_at, version, decided_by_id, decided_by_name, decided_at, decision,
                    reason, comments, history
               FROM read.ticket_details WHERE ticket_id = $1"""


async def ticket_details(
    connection: Any, viewer: Viewer, ticket_id: UUID
) -> TicketDetailsRow | None:
    """The ticket, or None when it does not exist or the viewer may not see it."""
    row = await connection.fetchrow(DETAILS, ticket_id)
    if row is None or not (viewer.sees_all or row["author_id"] == viewer.user_id):
        return None
    return TicketDetailsRow(*row)


async def ticket_stats(connection: Any, viewer: Viewer) -> dict[str, int]:
    """Counts by status over the tickets the viewer may see."""
    if viewer.sees_all:
        rows = await connection.fetch(
            "SELECT status, sum(count)::bigint AS n FROM read.status_counts GROUP BY status"
        )
    else:
        rows = await connection.fetch(
            "SELECT status, count AS n FROM read.status_counts WHERE author_id = $1",
            viewer.user_id,
        )
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({r["status"]: int(r["n"]) for r in rows})
    return counts


def _uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None
