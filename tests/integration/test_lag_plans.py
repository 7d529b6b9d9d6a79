"""The lag figures (unpositioned count, oldest unpositioned row, per-lane lag) are read
with index scans only, whatever the planner's statistics say: after a bulk load with
stale statistics a sequential or bitmap scan reads every row version still in the table
or index, past the statement bound at millions of rows (docs/benchmarks.md)."""

import pytest

from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.store import (
    INDEX_PLANS,
    LAG,
    LAG_COUNT_CAP,
    OLDEST_UNPOSITIONED,
    UNPOSITIONED,
)

FIGURES = {
    "unpositioned": (UNPOSITIONED, (1000,)),
    "oldest unpositioned": (OLDEST_UNPOSITIONED, ()),
    "per-lane lag": (LAG, ([0, 1], [0, 5], LAG_COUNT_CAP)),
}


@pytest.mark.parametrize("figure", list(FIGURES))
async def test_a_lag_figure_is_planned_with_index_scans_only(runtime: Runtime, figure: str) -> None:
    sql, args = FIGURES[figure]
    # An empty table whose statistics say so: left alone, the planner scans it whole.
    async with runtime.pools.write.acquire() as db, db.transaction():
        await db.execute("ANALYZE tickets.outbox_messages")
        await db.execute(INDEX_PLANS)
        plan = "\n".join(row[0] for row in await db.fetch(f"EXPLAIN {sql}", *args))
    assert "Index" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert "Bitmap" not in plan, plan
