"""The read model behind the ticket queries: raw SQL over the `read` schema, mapped
to the application's views. Implements application.ports.TicketReadModel."""

import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from uuid import UUID

import asyncpg
from pydantic import TypeAdapter

from tickets.application.queries import (
    CommentView,
    Decision,
    HistoryEntry,
    ListTickets,
    Person,
    TicketDetails,
    TicketPage,
    TicketSort,
    TicketStats,
    TicketSummary,
)
from tickets.domain.status import TicketStatus
from tickets.domain.users import User
from tickets.readmodel.connection import Connection
from tickets.readmodel.cursor import Cursor
from tickets.readmodel.freshness import VersionWaiter

Connections = Callable[[], AbstractAsyncContextManager[Connection]]
"""Lends a connection to the read database; a lost database surfaces as the
application's ServiceUnavailable (the composition root supplies it)."""

SORTS = {
    TicketSort.CREATED: ("created_at", "ASC", ">"),
    TicketSort.NEWEST: ("created_at", "DESC", "<"),
    TicketSort.UPDATED: ("updated_at", "ASC", ">"),
    TicketSort.RECENTLY_UPDATED: ("updated_at", "DESC", "<"),
}
LIST_COLUMNS = """ticket_id, title, status, author_id, author_name, comment_count,
                  created_at, updated_at, version"""
# The comments and the history as JSON text: pydantic parses it straight into the views
# (see _details), which skips building the dictionaries in between.
DETAILS = """SELECT ticket_id, title, description, status, author_id, author_name, created_at,
                    updated_at, version, decided_by_id, decided_by_name, decided_at, decision,
                    reason, comments::text AS comments, history::text AS history
               FROM read.ticket_details WHERE ticket_id = $1"""
VERSION = "SELECT version FROM read.ticket_details WHERE ticket_id = $1"
STATS_ALL = "SELECT status, sum(count)::bigint AS n FROM read.status_counts GROUP BY status"
STATS_OF_AUTHOR = "SELECT status, count AS n FROM read.status_counts WHERE author_id = $1"
WORD = re.compile(r"\w+", re.UNICODE)


def title_query(q: str) -> str | None:
    """A tsquery matching titles that contain every word of ``q`` as a prefix."""
    words = [w.lower() for w in WORD.findall(q)][:8]
    return " & ".join(f"{w}:*" for w in words) or None


def list_query(query: ListTickets, after: Cursor | None) -> tuple[str, list[object]] | None:
    """The SQL and arguments of one list page, one row more than the page holds
    (None: nothing can match)."""
    column, direction, compare = SORTS[query.sort]
    where: list[str] = []
    args: list[object] = []

    def arg(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    scope = query.viewer.author_scope
    if scope is not None:
        where.append(f"author_id = {arg(scope)}")
    if query.status is not None:
        where.append(f"status = {arg(query.status.value)}")
    if query.author is not None:
        author_id = _uuid_or_none(query.author)
        if author_id is not None:
            where.append(f"author_id = {arg(author_id)}")
        else:
            where.append(f"author_name = {arg(query.author)}")
    if query.q is not None:
        tsquery = title_query(query.q)
        if tsquery is None:
            return None
        where.append(f"title_search @@ to_tsquery('simple', {arg(tsquery)})")
    if after is not None:
        where.append(f"({column}, ticket_id) {compare} ({arg(after.at)}, {arg(after.id)})")
    sql = (
        f"SELECT {LIST_COLUMNS} FROM read.ticket_list"
        f"{' WHERE ' + ' AND '.join(where) if where else ''}"
        f" ORDER BY {column} {direction}, ticket_id {direction} LIMIT {arg(query.limit + 1)}"
    )
    return sql, args


class SqlTicketReadModel:
    def __init__(self, connections: Connections, freshness: VersionWaiter) -> None:
        self._connections = connections
        self._freshness = freshness

    async def page(self, query: ListTickets) -> TicketPage:
        after = Cursor.decode(query.cursor, query.sort) if query.cursor else None
        sql = list_query(query, after)
        if sql is None:
            return TicketPage([], None)
        async with self._connections() as connection:
            rows = await connection.fetch(sql[0], *sql[1])
        items = [_summary(r) for r in rows[: query.limit]]
        next_cursor = None
        if len(rows) > query.limit:
            last = items[-1]
            at = last.created_at if SORTS[query.sort][0] == "created_at" else last.updated_at
            next_cursor = Cursor(query.sort, at, last.id).encode()
        return TicketPage(items, next_cursor)

    async def details(self, ticket_id: UUID) -> TicketDetails | None:
        async with self._connections() as connection:
            row = await connection.fetchrow(DETAILS, ticket_id)
        return None if row is None else _details(row)

    async def wait_for_version(self, ticket_id: UUID, version: int, within: float) -> int | None:
        async def current() -> int | None:
            async with self._connections() as connection:
                seen: int | None = await connection.fetchval(VERSION, ticket_id)
                return seen

        return await self._freshness.wait_for(ticket_id, version, current, within)

    async def stats(self, viewer: User) -> TicketStats:
        async with self._connections() as connection:
            scope = viewer.author_scope
            if scope is None:
                rows = await connection.fetch(STATS_ALL)
            else:
                rows = await connection.fetch(STATS_OF_AUTHOR, scope)
        counts = dict.fromkeys(TicketStatus, 0)
        counts.update({TicketStatus(r["status"]): int(r["n"]) for r in rows})
        return TicketStats(counts)


def _summary(r: asyncpg.Record) -> TicketSummary:
    return TicketSummary(
        id=r["ticket_id"],
        title=r["title"],
        status=TicketStatus(r["status"]),
        author=Person(r["author_id"], r["author_name"]),
        comment_count=r["comment_count"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        version=r["version"],
    )


# The JSON the projection stores has the views' field names (read.ticket_details): pydantic
# validates it into the views in one call, ids and times parsed, faster than json.loads
# and building them one by one (docs/benchmarks.md).
_COMMENTS = TypeAdapter(list[CommentView])
_HISTORY = TypeAdapter(list[HistoryEntry])


def _details(r: asyncpg.Record) -> TicketDetails:
    decision = None
    if r["decision"] is not None:
        decision = Decision(
            outcome=TicketStatus(r["decision"]),
            by=Person(r["decided_by_id"], r["decided_by_name"]),
            at=r["decided_at"],
            reason=r["reason"],
        )
    return TicketDetails(
        id=r["ticket_id"],
        title=r["title"],
        description=r["description"],
        status=TicketStatus(r["status"]),
        author=Person(r["author_id"], r["author_name"]),
        version=r["version"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        decision=decision,
        comments=_COMMENTS.validate_json(r["comments"]),
        history=_HISTORY.validate_json(r["history"]),
    )


def _uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None
