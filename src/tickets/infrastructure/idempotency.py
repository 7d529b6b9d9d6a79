"""Stored command responses, keyed by (scope, Idempotency-Key)."""

from asyncpg.pool import PoolConnectionProxy

from tickets.application.ports import IdempotencyRequest, StoredResponse
from tickets.application.results import Result
from tickets.infrastructure.stored_results import result_from_json, result_to_json
from tickets.infrastructure.ticket_changes import IdempotencyRecord

_GET = "SELECT fingerprint, response FROM tickets.idempotency_keys WHERE scope = $1 AND key = $2"


class SqlIdempotencyStore:
    def __init__(self, connection: PoolConnectionProxy) -> None:
        self._connection = connection
        self._record: IdempotencyRecord | None = None

    async def get(self, scope: str, key: str) -> StoredResponse | None:
        row = await self._connection.fetchrow(_GET, scope, key)
        if row is None:
            return None
        return StoredResponse(row["fingerprint"], result_from_json(row["response"]))

    def remember(self, scope: str, request: IdempotencyRequest, result: Result) -> None:
        self._record = IdempotencyRecord(
            scope, request.key, request.fingerprint, result_to_json(result)
        )

    def pull_record(self) -> IdempotencyRecord | None:
        """Hand over the record ``remember`` queued, for the unit of work to write."""
        record, self._record = self._record, None
        return record
