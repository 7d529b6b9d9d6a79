"""Stored command responses, keyed by (scope, Idempotency-Key)."""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from tickets.application.errors import IdempotencyRace
from tickets.application.ports import IdempotencyRequest, StoredResponse
from tickets.application.results import Result
from tickets.infrastructure import tables
from tickets.infrastructure.stored_results import result_from_json, result_to_json


class SqlIdempotencyStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._pending: dict[str, object] | None = None

    async def get(self, actor_key: str, key: str) -> StoredResponse | None:
        t = tables.idempotency_keys
        row = (
            await self._connection.execute(
                select(t.c.fingerprint, t.c.response).where(t.c.scope == actor_key, t.c.key == key)
            )
        ).one_or_none()
        if row is None:
            return None
        return StoredResponse(row.fingerprint, result_from_json(row.response))

    def remember(self, actor_key: str, request: IdempotencyRequest, result: Result) -> None:
        self._pending = {
            "scope": actor_key,
            "key": request.key,
            "fingerprint": request.fingerprint,
            "response": result_to_json(result),
        }

    @property
    def pending(self) -> dict[str, object] | None:
        """The record ``remember`` queued, as column values; None if there is none."""
        return self._pending

    def forget_pending(self) -> None:
        """The pending record was written by the unit of work's one-statement commit."""
        self._pending = None

    async def flush(self) -> None:
        """Insert the remembered response; IdempotencyRace if the key was taken meanwhile.

        A concurrent transaction inserting the same key makes this INSERT wait for it;
        if it commits, DO NOTHING returns no row and our whole transaction rolls back.
        """
        if self._pending is None:
            return
        stmt = (
            insert(tables.idempotency_keys)
            .values(**self._pending)
            .on_conflict_do_nothing()
            .returning(tables.idempotency_keys.c.key)
        )
        inserted = (await self._connection.execute(stmt)).first()
        self._pending = None
        if inserted is None:
            raise IdempotencyRace()
