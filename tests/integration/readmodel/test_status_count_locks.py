"""The per-author status counts are a few rows every worker's batches share: a batch
writes them once, last, in key order, so it holds their locks only until its commit."""

import uuid
from typing import Any

from tests.integration.readmodel.reads import counts, lifecycle
from tickets.bootstrap import Runtime
from tickets.readmodel.ticket_list import TicketListProjection


class Recording:
    """A connection that notes every statement it runs, in order."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._connection, name)

        async def recorded(sql: str, *args: Any, **options: Any) -> Any:
            self.statements.append((sql, args))
            return await method(sql, *args, **options)

        return recorded


async def test_a_batch_writes_the_counts_once_last_in_key_order(scratch: Runtime) -> None:
    authors = sorted((uuid.uuid4(), uuid.uuid4()), reverse=True)  # not in key order
    approver = uuid.uuid4()
    events = [e for a in authors for _ in range(3) for e in lifecycle(uuid.uuid4(), a, approver)]

    async with scratch.pools.read.acquire() as connection, connection.transaction():
        recording = Recording(connection)
        await TicketListProjection().apply_batch(recording, events)

    touching = [i for i, (sql, _) in enumerate(recording.statements) if "status_counts" in sql]
    assert touching == [len(recording.statements) - 1], "one count statement, the last"
    keys, statuses, deltas = recording.statements[-1][1]
    # Every ticket went draft → … → approved within the batch: the other statuses net
    # out to zero and are not written (nor locked) at all.
    assert list(zip(keys, statuses, deltas, strict=True)) == [
        (a, "approved", 3) for a in sorted(authors)
    ]
    for author in authors:
        assert await counts(scratch.pools.read, author) == {"approved": 3}
