"""The HTTP baselines: a bare ASGI endpoint running a command's statements on the same
driver and pool as the app, with nothing else (no framework, auth, domain or JSON body).

``/bare/…`` is the HTTP baseline of the performance targets (docs/benchmarks.md): load
the ticket, update it and insert an outbox row (whose trigger queues the NOTIFY) as three
statements in BEGIN … COMMIT.
``/single/…`` does the same work the way the app's unit of work writes it: the load on
its own, then the update and the outbox insert as one statement (as command_writes does),
so comparing the app with it isolates what the HTTP stack and the domain cost.

Run: python -m tickets.bench.bare_app DATABASE_URL PORT
"""

import json
import sys
import uuid
from typing import Any

import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from tickets.infrastructure.database import sqlalchemy_url

LOAD = text("SELECT id, title, description, status, version FROM tickets.tickets WHERE id = :id")
UPDATE = text(
    "UPDATE tickets.tickets SET version = :v, updated_at = now() WHERE id = :id AND version = :old"
)
_OUTBOX_COLUMNS = (
    "INSERT INTO tickets.outbox_messages (id, aggregate_id, aggregate_version, "
    "event_type, payload, metadata, occurred_at) "
)
_OUTBOX_VALUES = "'bench.bumped.v1', CAST(:p AS jsonb), '{}', now()"
INSERT = text(f"{_OUTBOX_COLUMNS}VALUES (:mid, :id, :v, {_OUTBOX_VALUES})")
_NEW_TICKET = (
    "INSERT INTO tickets.tickets (id, title, description, author_id, author_name, "
    "status, version, created_at, updated_at) VALUES (:id, 't', '', :id, 'b', 'draft', "
    "{version}, now(), now())"
)
CREATE = text(_NEW_TICKET.format(version=0))
SINGLE_CREATE = text(
    f"WITH t AS ({_NEW_TICKET.format(version=1)} RETURNING id) "
    f"{_OUTBOX_COLUMNS}SELECT :mid, t.id, 1, {_OUTBOX_VALUES} FROM t"
)
SINGLE_CHANGE = text(
    "WITH t AS (UPDATE tickets.tickets SET version = :v, updated_at = now() "
    "WHERE id = :id AND version = :old RETURNING id) "
    f"{_OUTBOX_COLUMNS}SELECT :mid, t.id, :v, {_OUTBOX_VALUES} FROM t"
)
PAYLOAD = '{"bench": true}'


async def three_statements(connection: AsyncConnection, ticket_id: str, create: bool) -> int:
    version = 0
    async with connection.begin():
        if create:
            await connection.execute(CREATE, {"id": ticket_id})
        else:
            version = (await connection.execute(LOAD, {"id": ticket_id})).one().version
        new = {"id": ticket_id, "v": version + 1, "old": version}
        await connection.execute(UPDATE, new)
        await connection.execute(INSERT, {**new, "mid": uuid.uuid4(), "p": PAYLOAD})
    return version + 1


async def one_statement(connection: AsyncConnection, ticket_id: str, create: bool) -> int:
    await connection.execution_options(isolation_level="AUTOCOMMIT")
    if create:
        await connection.execute(
            SINGLE_CREATE, {"id": ticket_id, "mid": uuid.uuid4(), "p": PAYLOAD}
        )
        return 1
    version: int = (await connection.execute(LOAD, {"id": ticket_id})).one().version
    new = {"id": ticket_id, "v": version + 1, "old": version, "mid": uuid.uuid4(), "p": PAYLOAD}
    await connection.execute(SINGLE_CHANGE, new)
    return version + 1


def build(url: str) -> Any:
    engine = create_async_engine(sqlalchemy_url(url), pool_size=10, max_overflow=10)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()  # lifespan.startup
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            await engine.dispose()
            await send({"type": "lifespan.shutdown.complete"})
            return
        while (await receive()).get("more_body"):
            pass
        _, mode, *rest = scope["path"].split("/")
        write = one_statement if mode == "single" else three_statements
        ticket_id = rest[-1]
        async with engine.connect() as connection:
            version = await write(connection, ticket_id, rest[0] == "create")
        body = json.dumps({"id": ticket_id, "version": version}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


if __name__ == "__main__":
    uvicorn.run(
        build(sys.argv[1]),
        host="127.0.0.1",
        port=int(sys.argv[2]),
        log_level="warning",
        access_log=False,
    )
