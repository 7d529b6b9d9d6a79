"""The HTTP baseline: a bare ASGI endpoint running the same statements as a command
(load the ticket, update it, insert an outbox row, whose trigger queues the NOTIFY) on
the same driver and pool.

Run: python -m tickets.bench.bare_app DATABASE_URL PORT
"""

import json
import sys
import uuid
from typing import Any

import uvicorn
from sqlalchemy import text

from tickets.infrastructure.database import create_engine

LOAD = text("SELECT id, title, description, status, version FROM tickets.tickets WHERE id = :id")
UPDATE = text(
    "UPDATE tickets.tickets SET version = :v, updated_at = now() WHERE id = :id AND version = :old"
)
INSERT = text(
    "INSERT INTO tickets.outbox_messages (id, aggregate_id, aggregate_version, "
    "event_type, payload, metadata, occurred_at) VALUES (:mid, :id, :v, "
    "'bench.bumped.v1', CAST(:p AS jsonb), '{}', now())"
)
CREATE = text(
    "INSERT INTO tickets.tickets (id, title, description, author_id, author_name, "
    "status, version, created_at, updated_at) VALUES (:id, 't', '', :id, 'b', 'draft', "
    "0, now(), now())"
)


def build(url: str) -> Any:
    engine = create_engine(url)

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
        ticket_id = scope["path"].rsplit("/", 1)[-1]
        async with engine.begin() as connection:
            if scope["path"].startswith("/bare/create/"):
                await connection.execute(CREATE, {"id": ticket_id})
                version = 0
            else:
                row = (await connection.execute(LOAD, {"id": ticket_id})).one()
                version = row.version
            await connection.execute(UPDATE, {"id": ticket_id, "v": version + 1, "old": version})
            await connection.execute(
                INSERT,
                {"mid": uuid.uuid4(), "id": ticket_id, "v": version + 1, "p": '{"bench": true}'},
            )
        body = json.dumps({"id": ticket_id, "version": version + 1}).encode()
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
