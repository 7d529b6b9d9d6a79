"""Retention of operational bookkeeping: the one owner of what is pruned, when and how.

Each rule names a table, the indexed time its window counts from, and the window. A
pass deletes, rule by rule, the rows past their window in small batches, each its own
short transaction, with a pause between batches, so that pruning never holds a lock
for long nor takes a connection away from delivery for long. Commands never wait on
it: they insert new rows, and a batch locks only the old rows it deletes.
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import asyncpg
from prometheus_client import CollectorRegistry, Counter

log = logging.getLogger("tickets.retention")

# One pruner at a time, whatever the number of worker processes: each batch takes this
# transaction-level advisory lock or, held by another process, skips its pass.
LOCK_KEY = 0x7E7E_0019
_LOCK = "SELECT pg_try_advisory_xact_lock($1)"
# A batch that finds a row locked (a notification being marked read) gives up quickly
# rather than keep the rows it already deleted locked; the next pass takes them.
_LOCK_TIMEOUT = "SET LOCAL lock_timeout = '1s'"


@dataclass(frozen=True)
class Rule:
    table: str
    """Schema-qualified table name (from this module, never from input)."""
    column: str
    """The indexed time the window counts from."""
    window_seconds: float
    where: str = "TRUE"
    """Which rows the window applies to (a partial index's predicate)."""

    @property
    def label(self) -> str:
        return self.table.rpartition(".")[2]

    def delete(self) -> str:
        """$1 the window in seconds, $2 the batch size. The inner SELECT walks the index
        on ``column`` from the oldest row and stops after $2 rows; the outer DELETE
        finds them by ctid (a TID scan), both under one snapshot. A row changed
        meanwhile (a notification just marked read) is waited for, then re-checked on
        its new version, whose ctid is another: it is not deleted on the old rule."""
        return f"""
DELETE FROM {self.table} WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM {self.table}
     WHERE {self.where} AND {self.column} < now() - $1::float8 * interval '1 second'
     ORDER BY {self.column}
     LIMIT $2))"""


@dataclass(frozen=True)
class Windows:
    """How long each kind of bookkeeping is kept, in seconds."""

    idempotency_keys: float
    attempts: float
    audit: float
    read_notifications: float
    unread_notifications: float


def rules(windows: Windows) -> list[Rule]:
    return [
        Rule("tickets.idempotency_keys", "created_at", windows.idempotency_keys),
        Rule("tickets.outbox_attempts", "failed_at", windows.attempts),
        Rule("tickets.dead_letter_audit", "at", windows.audit),
        Rule(
            "tickets.notifications",
            "read_at",
            windows.read_notifications,
            "read_at IS NOT NULL",
        ),
        Rule(
            "tickets.notifications",
            "created_at",
            windows.unread_notifications,
            "read_at IS NULL",
        ),
    ]


@dataclass(frozen=True)
class RetentionConfig:
    interval_seconds: float = 60.0
    batch_size: int = 500
    pause_seconds: float = 0.1
    """Least pause between two batches."""
    busy_share: float = 0.2
    """At most this share of the time spent deleting while working through a backlog:
    after a batch that took t seconds the pause is at least t * (1 / share - 1). A
    batch takes a few tens of milliseconds on a quiet server, so pruning still removes
    thousands of rows per second, far more than any command rate creates; on a loaded
    server batches take longer and pruning backs off in proportion, leaving the room
    to commands and delivery."""

    def pause_after(self, batch_seconds: float) -> float:
        return max(self.pause_seconds, batch_seconds * (1 / self.busy_share - 1))


class RetentionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.pruned = Counter(
            "tickets_retention_pruned_rows",
            "Bookkeeping rows removed past their retention window",
            ["table"],
            registry=registry,
        )
        self.failed = Counter(
            "tickets_retention_failed_passes",
            "Pruning passes that failed (retried at the next interval)",
            registry=registry,
        )


class Pruner:
    def __init__(
        self,
        pool: asyncpg.Pool,
        rules: list[Rule],
        config: RetentionConfig,
        metrics: RetentionMetrics | None = None,
    ) -> None:
        self._pool = pool
        self._rules = rules
        self.config = config
        self._metrics = metrics
        if metrics is not None:  # every table shows on /metrics from the start, at 0
            for rule in rules:
                metrics.pruned.labels(rule.label)

    async def prune_once(self, stop: asyncio.Event | None = None) -> dict[str, int]:
        """One pass over every rule until nothing is past its window (or ``stop``):
        rows removed per table."""
        removed: dict[str, int] = {}
        for rule in self._rules:
            while stop is None or not stop.is_set():
                started = time.monotonic()
                count = await self._batch(rule)
                if count is None:  # another process is pruning
                    return removed
                removed[rule.label] = removed.get(rule.label, 0) + count
                if self._metrics is not None and count:
                    self._metrics.pruned.labels(rule.label).inc(count)
                if count < self.config.batch_size:
                    break
                await asyncio.sleep(self.config.pause_after(time.monotonic() - started))
        return removed

    async def _batch(self, rule: Rule) -> int | None:
        async with self._pool.acquire() as connection, connection.transaction():
            if not await connection.fetchval(_LOCK, LOCK_KEY):
                return None
            await connection.execute(_LOCK_TIMEOUT)
            status = await connection.execute(
                rule.delete(), rule.window_seconds, self.config.batch_size
            )
        return int(status.rpartition(" ")[2])

    async def run(self, stop: asyncio.Event) -> None:
        """A pass every interval until ``stop``. A failed pass (the database away, a
        lock timeout) is logged and tried again at the next interval: never fatal."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                removed = await self.prune_once(stop)
            except Exception as error:
                if self._metrics is not None:
                    self._metrics.failed.inc()
                log.warning("retention pass failed (%r); trying again later", error)
            else:
                if any(removed.values()):
                    log.info("retention pass removed %s", removed)
            pause = self.config.interval_seconds - (time.monotonic() - started)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(pause, 0.0))
