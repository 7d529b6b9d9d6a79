"""The HTTP baseline: what a FastAPI user would write by hand for the same rows, on a raw
asyncpg pool of its own (not the app's), served by the same server settings as
`tickets serve`, in one process or, like `tickets serve --workers N`, in N.

- ``POST /tickets``: BEGIN, INSERT the ticket, INSERT its outbox row (and the idempotency
  row when the request carries ``Idempotency-Key``), COMMIT.
- ``POST /tickets/{id}/submit|approve|reject``: BEGIN, UPDATE … RETURNING the new version
  (guarded by the expected status), INSERT the outbox row, COMMIT.
- ``GET /tickets/{id}``: the read model's details row by key.
- ``GET /tickets?limit&cursor``: one keyset page of the read model's list, newest first.

No auth, domain or problem details: the gap to the app is what those and the app's
layering cost. Run: python -m tickets.bench.handwritten DATABASE_URL PORT [PROCESSES]
"""

import base64
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request
from pydantic import BaseModel

from tickets.api_processes import serve_processes
from tickets.readmodel.ticket_read_model import (  # the very statement and columns the app reads
    DETAILS,
    LIST_COLUMNS,
)
from tickets.server_options import server_options

CREATE = """INSERT INTO tickets.tickets (id, title, description, author_id, author_name,
            status, version, created_at, updated_at)
            VALUES ($1, $2, '', $3, 'bench', 'draft', 1, now(), now())"""
OUTBOX = """INSERT INTO tickets.outbox_messages (id, aggregate_id, aggregate_version,
            event_type, payload, metadata, occurred_at) VALUES ($1, $2, $3, $4, $5, '{}', now())"""
IDEMPOTENCY = """INSERT INTO tickets.idempotency_keys (scope, key, fingerprint, response)
                 VALUES ($1, $2, '', $3)"""
MOVES = {"submit": ("draft", "submitted"), "approve": ("submitted", "approved")}
MOVES["reject"] = ("submitted", "rejected")
TRANSITION = """UPDATE tickets.tickets SET status = $3, version = version + 1, updated_at = now()
                WHERE id = $1 AND status = $2 RETURNING version"""
# The columns of the app's list items: the same rows, read and sent whole.
PAGE = f"""SELECT {LIST_COLUMNS} FROM read.ticket_list
           {{where}} ORDER BY created_at DESC, ticket_id DESC LIMIT $1"""


class NewTicket(BaseModel):
    title: str


def build(url: str) -> FastAPI:
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(url, min_size=10, max_size=10)
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/tickets", status_code=201)
    async def create(body: NewTicket, idempotency_key: str | None = Header(None)) -> dict[str, Any]:
        assert pool is not None
        ticket = uuid.uuid4()
        answer = {"id": str(ticket), "version": 1, "status": "draft"}
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute(CREATE, ticket, body.title, ticket)
            payload = json.dumps({"title": body.title})
            await connection.execute(OUTBOX, uuid.uuid4(), ticket, 1, "created", payload)
            if idempotency_key is not None:
                await connection.execute(IDEMPOTENCY, "bench", idempotency_key, json.dumps(answer))
        return answer

    @app.post("/tickets/{ticket_id}/{action}")
    async def move(ticket_id: uuid.UUID, action: str, request: Request) -> dict[str, Any]:
        assert pool is not None
        if action not in MOVES:
            raise HTTPException(404)
        await request.body()  # the reject reason, unused
        before, after = MOVES[action]
        async with pool.acquire() as connection, connection.transaction():
            version = await connection.fetchval(TRANSITION, ticket_id, before, after)
            if version is None:
                raise HTTPException(409)
            await connection.execute(OUTBOX, uuid.uuid4(), ticket_id, version, after, "{}")
        return {"id": str(ticket_id), "version": version, "status": after}

    @app.get("/tickets/{ticket_id}")
    async def details(ticket_id: uuid.UUID) -> dict[str, Any]:
        assert pool is not None
        row = await pool.fetchrow(DETAILS, ticket_id)
        if row is None:
            raise HTTPException(404)
        decoded = {"comments": json.loads(row["comments"]), "history": json.loads(row["history"])}
        return {**dict(row), **decoded}

    @app.get("/tickets")
    async def page(limit: int = 20, cursor: str | None = None) -> dict[str, Any]:
        assert pool is not None
        if cursor is None:
            rows = await pool.fetch(PAGE.format(where=""), limit + 1)
        else:
            at, last = json.loads(base64.urlsafe_b64decode(cursor))
            where = "WHERE (created_at, ticket_id) < ($2, $3)"
            rows = await pool.fetch(
                PAGE.format(where=where), limit + 1, datetime.fromisoformat(at), uuid.UUID(last)
            )
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            mark = [rows[-1]["created_at"].isoformat(), str(rows[-1]["ticket_id"])]
            next_cursor = base64.urlsafe_b64encode(json.dumps(mark).encode()).decode()
        return {"items": [dict(r) for r in rows], "next_cursor": next_cursor}

    return app


URL_VARIABLE = "HANDWRITTEN_DATABASE_URL"


def app_from_env() -> FastAPI:
    """The app for one of N processes (their factory, as for `tickets serve --workers N`)."""
    return build(os.environ[URL_VARIABLE])


if __name__ == "__main__":
    url, port = sys.argv[1], int(sys.argv[2])
    processes = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    if processes == 1:
        options = {**server_options(), "log_level": "warning", "host": "127.0.0.1", "port": port}
        uvicorn.run(build(url), **options)
    else:
        env = {**os.environ, URL_VARIABLE: url}  # given to the processes, not set here
        serve_processes("tickets.bench.handwritten:app_from_env", "127.0.0.1", port, processes, env)
