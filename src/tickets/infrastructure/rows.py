"""Domain objects as row dictionaries for Core INSERTs, and running such an INSERT."""

from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncConnection

from tickets.domain.ticket import Comment, Ticket

Rows = list[dict[str, Any]]


async def execute_rows(connection: AsyncConnection, statement: Executable, rows: Rows) -> None:
    """Nothing for no rows, a plain execute for one (the common case, and cheaper), one
    pipelined executemany for several."""
    if len(rows) == 1:
        await connection.execute(statement, rows[0])
    elif rows:
        await connection.execute(statement, rows)


def ticket_row(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "title": ticket.title,
        "description": ticket.description,
        "author_id": ticket.author_id,
        "author_name": ticket.author_name,
        "status": ticket.status,
        "version": ticket.version,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def comment_row(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "ticket_id": comment.ticket_id,
        "author_id": comment.author_id,
        "author_name": comment.author_name,
        "body": comment.body,
        "created_at": comment.created_at,
    }
