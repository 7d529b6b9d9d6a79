"""Snapshots of the read model and rebuilds, for comparing live state with a replay."""

import uuid
from typing import Any

from tickets.bootstrap import Runtime
from tickets.domain.users import Role, User
from tickets.infrastructure.backoff import Backoff
from tickets.infrastructure.outbox.event_log import EventLog
from tickets.infrastructure.pools import Connections, connect
from tickets.readmodel.catalog import REBUILDABLE
from tickets.readmodel.freshness import VersionWaiter
from tickets.readmodel.rebuild import rebuild
from tickets.readmodel.ticket_read_model import SqlTicketReadModel


async def snapshot(runtime: Runtime) -> dict[str, Any]:
    """Every row of the read tables, in a stable order, comparable with ==."""
    async with runtime.pools.read.acquire() as connection:
        tickets = await connection.fetch(
            "SELECT ticket_id, title, status, author_id, author_name, comment_count, "
            "created_at, updated_at, version FROM read.ticket_list ORDER BY ticket_id"
        )
        details = await connection.fetch("SELECT * FROM read.ticket_details ORDER BY ticket_id")
        counts = await connection.fetch(
            "SELECT author_id, status, count FROM read.status_counts WHERE count <> 0 "
            "ORDER BY author_id, status"
        )
    return {
        "ticket_list": [dict(r) for r in tickets],
        "ticket_details": [dict(r) for r in details],
        "status_counts": [dict(r) for r in counts],
    }


async def rebuild_all(runtime: Runtime) -> int:
    applied = 0
    for target in REBUILDABLE.values():
        applied += await rebuild(target, runtime.pools.read, EventLog(runtime.pools.write))
    return applied


def ticket_read_model(runtime: Runtime) -> SqlTicketReadModel:
    """The read model the API's queries use, on the runtime's read pool (a waiter that
    polls: no listener is started)."""
    waiter = VersionWaiter(lambda: connect(runtime.read_url, runtime.timeouts), Backoff())
    return SqlTicketReadModel(Connections(runtime.pools.read, runtime.timeouts), waiter)


def someone(*roles: Role) -> User:
    """A user that exists only in a query, with ``roles`` (requester by default)."""
    return User(uuid.uuid4(), "someone", frozenset(roles or {Role.REQUESTER}))
