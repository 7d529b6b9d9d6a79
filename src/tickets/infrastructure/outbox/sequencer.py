"""The sequencer: gives committed log rows their positions, and months their partitions.

A row is inserted without a position. ``assign_positions`` (a SQL function, see
migration 0006) numbers the committed unpositioned rows in insertion (``seq``) order,
densely after the head, in one serialized transaction that also moves the head. So a
reader that saw position P can never later see a row appear at or below P: a row gets
a position only once it is committed, and a later run only hands out higher ones (the
sequence-gap race cannot skip anything). A ticket's version N+1 is inserted only after
version N committed, so it has a higher seq and gets a higher position.
"""

import logging
from datetime import UTC, date, datetime

import asyncpg

from tickets.infrastructure.outbox.messages import TABLE

log = logging.getLogger("tickets.worker")

SEQUENCE = "SELECT tickets.assign_positions($1)"
PARTITION = """CREATE TABLE IF NOT EXISTS {table}_p{suffix} PARTITION OF {table}
               FOR VALUES FROM ('{start}') TO ('{end}')"""


async def assign_positions(pool: asyncpg.Pool, max_rows: int = 5000) -> int:
    """Position committed rows (up to ``max_rows``); returns how many were positioned.
    When it returns, every row committed before the call has a position, or the call
    positioned ``max_rows`` of them."""
    return int(await pool.fetchval(SEQUENCE, max_rows))


def _month(d: date, ahead: int) -> date:
    months = d.year * 12 + d.month - 1 + ahead
    return date(months // 12, months % 12 + 1, 1)


async def ensure_partitions(pool: asyncpg.Pool, months_ahead: int = 2) -> None:
    """Create this month's partition and the next ones ahead of time, so that rows land
    in a month of their own, not the default partition. Idempotent; a failure (say the
    default partition already holds rows of that month) is logged, never raised: rows
    still land in the default partition."""
    today = datetime.now(UTC).date()
    for ahead in range(months_ahead + 1):
        start, end = _month(today, ahead), _month(today, ahead + 1)
        sql = PARTITION.format(table=TABLE, suffix=start.strftime("%Y%m"), start=start, end=end)
        try:
            await pool.execute(sql)
        except asyncpg.PostgresError as error:
            log.warning("could not create the log partition of %s: %r", start, error)
